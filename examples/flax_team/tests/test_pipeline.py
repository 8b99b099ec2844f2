"""Our Flax NNX pipeline, checked by unetcheck from the model and its `nnx.state` as they are."""

import pipeline
import pytest
from flax import nnx

from unetcheck.checks import (
    assert_all_trainable_change,
    assert_batch_independent,
    assert_deterministic,
    assert_frozen,
    assert_labels_in_range,
    assert_loss_decreases,
    assert_same_preprocessing,
)
from unetcheck.pets.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def examples():
    return list(synthetic_examples(16, seed=0, min_size=40, max_size=64))


@pytest.fixture
def data(examples):
    return pipeline.batches(examples)


def test_preprocessing_matches_the_reference():
    assert_same_preprocessing(pipeline.preprocess)


def test_labels_in_range(data):
    assert_labels_in_range(data, num_classes=3)


def test_encoder_stays_frozen(data):
    model = pipeline.build_model()
    step = pipeline.train_step(model, data)
    assert_frozen(nnx.state(model), "encoder", lambda: [step() for _ in range(2)])


def test_every_decoder_parameter_learns(data):
    model = pipeline.build_model()
    assert_all_trainable_change(model.decoder, pipeline.train_step(model, data))


def test_loss_decreases(data):
    assert_loss_decreases(pipeline.train_step(pipeline.build_model(), data), steps=20, min_relative_drop=0.2)


def test_inference_ignores_the_batch(data):
    model = pipeline.build_model()
    step = pipeline.train_step(model, data)
    for _ in range(3):
        step()
    assert_batch_independent(pipeline.for_inference(model), data[0][0][:4])


def test_training_is_repeatable(examples):
    def train():
        model = pipeline.build_model()
        step = pipeline.train_step(model, pipeline.batches(examples))
        for _ in range(2):
            step()
        return nnx.state(model)

    assert_deterministic(train)
