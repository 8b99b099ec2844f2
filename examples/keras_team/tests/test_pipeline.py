"""Our Keras pipeline, checked by unetcheck."""

import keras
import numpy as np
import pipeline
import pytest

from unetcheck.checks import (
    assert_batch_independent,
    assert_frozen,
    assert_labels_in_range,
    assert_loss_decreases,
    assert_loss_ignores,
    assert_outputs_fit_loss,
    assert_overfits_batch,
    assert_paired_flip,
    assert_same_preprocessing,
)


@pytest.fixture
def batches(unetcheck_source):  # from unetcheck's pytest plugin: Oxford-like examples
    return unetcheck_source.split("train").map(pipeline.preprocess).batch(8)


@pytest.fixture
def train_batches(unetcheck_source):
    return pipeline.training_batches(unetcheck_source.split("train"))


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


def test_loss_ignores_the_void_band():
    assert_loss_ignores(pipeline.build_model().loss, ignore_index=pipeline.VOID, num_classes=2)


def test_encoder_stays_frozen(train_batches):
    keras.utils.set_random_seed(0)
    model = pipeline.build_model()
    assert_frozen(model, "encoder", lambda: model.fit(train_batches, steps_per_epoch=2, verbose=0, shuffle=False))


def test_loss_decreases(train_batches):
    keras.utils.set_random_seed(0)
    assert_loss_decreases(pipeline.build_model(), train_batches, steps=20, min_relative_drop=0.2)


def test_overfits_one_batch(train_batches):
    # Measured: 0.992 of the labelled pixels after 60 steps. A class weighted 0 is never
    # learnt: then the accuracy is at most the other class's share (0.856 here).
    keras.utils.set_random_seed(0)
    images, masks, weights = next(iter(train_batches))
    assert_overfits_batch(pipeline.build_model(), images, masks, steps=60, min_accuracy=0.95, sample_weight=weights)


def test_inference_ignores_the_batch(batches):
    keras.utils.set_random_seed(0)
    images, _ = (np.asarray(t) for t in next(iter(batches)))
    assert_batch_independent(pipeline.build_model(), images[:4])
