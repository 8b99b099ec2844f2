"""Our Keras pipeline, checked by unetcheck."""

import keras
import numpy as np
import pipeline
import pytest

from unetcheck.checks import (
    assert_batch_independent,
    assert_labels_in_range,
    assert_loss_decreases,
    assert_outputs_fit_loss,
    assert_paired_flip,
    assert_same_preprocessing,
)


@pytest.fixture
def batches(unetcheck_source):  # from unetcheck's pytest plugin: Oxford-like examples
    return unetcheck_source.split("train").map(pipeline.preprocess).batch(8)


def test_preprocessing_matches_the_reference():
    assert_same_preprocessing(pipeline.preprocess)


def test_labels_in_range(batches):
    assert_labels_in_range(batches, num_classes=3)


def test_flip_is_paired():
    assert_paired_flip(pipeline.augmentation(), call="dict")


def test_outputs_fit_the_loss(batches):
    keras.utils.set_random_seed(0)
    model = pipeline.build_model()
    images, _ = next(iter(batches))
    assert_outputs_fit_loss(model(images, training=False), from_logits=model.loss.get_config()["from_logits"])


def test_loss_decreases_and_inference_ignores_the_batch(batches):
    keras.utils.set_random_seed(0)
    model = pipeline.build_model()
    images, masks = (np.asarray(t) for t in next(iter(batches)))
    assert_loss_decreases(model, (images, masks.astype(np.int32)), steps=20, min_relative_drop=0.2)
    assert_batch_independent(model, images[:4])
