"""Our tf-keras (Keras 2) tutorial pipeline, checked by unetcheck, `fit`-based forms included."""

import pipeline
import pytest
import tensorflow as tf

from unetcheck.checks import (
    assert_all_trainable_change,
    assert_batch_independent,
    assert_frozen,
    assert_labels_in_range,
    assert_loss_decreases,
    assert_outputs_fit_loss,
    assert_overfits_batch,
    assert_same_predictions,
    assert_same_preprocessing,
    assert_state_loaded,
)
from unetcheck.pets.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def batches():
    return pipeline.dataset(list(synthetic_examples(16, seed=0, min_size=72, max_size=96)))


def test_tf_keras_is_the_keras_in_use():
    assert type(pipeline.unet_model()).__module__.startswith("tf_keras.")


def test_preprocessing_matches_the_reference():
    assert_same_preprocessing(pipeline.load_image)


def test_labels_in_range(batches):
    assert_labels_in_range(batches, num_classes=3)


def test_encoder_stays_frozen(batches):
    model = pipeline.unet_model()
    assert_frozen(model, "encoder", lambda: model.fit(batches, epochs=1, verbose=0))


def test_every_trainable_weight_learns(batches):
    model = pipeline.unet_model()
    assert_all_trainable_change(model, lambda: model.fit(batches, epochs=1, verbose=0))


def test_loss_decreases(batches):
    assert_loss_decreases(pipeline.unet_model(), batches.repeat(), steps=20, min_relative_drop=0.2)


def test_overfits_one_batch(batches):
    images, masks = pipeline.first_batch(batches)
    assert_overfits_batch(pipeline.unet_model(), images, masks, steps=30, min_accuracy=0.8)


def test_outputs_fit_the_loss(batches):
    images, _ = pipeline.first_batch(batches)
    assert_outputs_fit_loss(pipeline.unet_model()(images, training=False), from_logits=True)


def test_inference_ignores_the_batch(batches):
    images, _ = pipeline.first_batch(batches)
    assert_batch_independent(pipeline.unet_model(), tf.constant(images[:4]))


def test_the_saved_model_reloads_whole(batches, tmp_path):
    model = pipeline.unet_model()
    model.fit(batches, epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    reloaded = tf.keras.models.load_model(tmp_path / "model.keras")
    assert_state_loaded(reloaded, {weight.name: weight for weight in model.weights})
    images, _ = pipeline.first_batch(batches)
    assert_same_predictions(model, reloaded, images)
