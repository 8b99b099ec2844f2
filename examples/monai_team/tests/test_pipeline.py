"""Our MONAI pipeline, checked by unetcheck."""

import pipeline
import pytest

from unetcheck.checks import (
    assert_all_trainable_change,
    assert_batch_independent,
    assert_labels_in_range,
    assert_loss_decreases,
    assert_outputs_fit_loss,
    assert_paired_flip,
    assert_same_preprocessing,
)
from unetcheck.pets.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def examples():
    return list(synthetic_examples(16, seed=0, min_size=40, max_size=64))


@pytest.fixture
def batches(examples):
    return pipeline.loader(examples)


def test_preprocessing_matches_the_reference():
    assert_same_preprocessing(pipeline.preprocess, channels_first=True)


def test_labels_in_range(batches):
    assert_labels_in_range(batches, num_classes=3)  # dict batches: the "label" key


def test_flip_is_paired():
    assert_paired_flip(pipeline.augmentation(), call="dict", keys=pipeline.KEYS, per_example=True, channels_first=True)


def test_outputs_fit_the_loss(batches):
    images = next(iter(batches))["image"]
    assert_outputs_fit_loss(pipeline.build_model().eval()(images), from_logits=True, channels_first=True)


def test_loss_decreases(batches):
    assert_loss_decreases(pipeline.train_step(pipeline.build_model(), batches), steps=20, min_relative_drop=0.2)


def test_every_trainable_parameter_learns(batches):
    model = pipeline.build_model()
    assert_all_trainable_change(model, pipeline.train_step(model, batches))


def test_inference_ignores_the_batch(batches):
    model = pipeline.build_model()
    step = pipeline.train_step(model, batches)
    for _ in range(3):
        step()
    images = next(iter(batches))["image"][:4]
    assert_batch_independent(pipeline.for_inference(model), images, channels_first=True)
