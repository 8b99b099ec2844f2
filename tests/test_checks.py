"""unetcheck.checks: each check passes on good input and says what, where, how much on bad."""

from __future__ import annotations

import itertools
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from unetcheck import Augment, load_image
from unetcheck.checks import (
    assert_all_trainable_change,
    assert_batch_independent,
    assert_deterministic,
    assert_finite,
    assert_flip_equivariant,
    assert_frozen,
    assert_labels_in_range,
    assert_loss_decreased,
    assert_loss_decreases,
    assert_overfits_batch,
    assert_paired_flip,
    assert_probabilities_valid,
    assert_same_predictions,
    assert_same_preprocessing,
    assert_weights_all_changed,
    assert_weights_unchanged,
)


def _unpaired_flip(images, masks):
    """The failure Augment prevents: independent decisions for images and masks."""
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(2)
    fa = rng_a.uniform(size=len(images)) < 0.5
    fb = rng_b.uniform(size=len(masks)) < 0.5
    images = np.where(fa[:, None, None, None], images[:, :, ::-1], images)
    masks = np.where(fb[:, None, None, None], masks[:, :, ::-1], masks)
    return images, masks


def test_paired_flip():
    assert_paired_flip(Augment(seed=3))
    with pytest.raises(AssertionError, match=r"of 64 examples .* flipped differently .* examples \["):
        assert_paired_flip(_unpaired_flip)
    with pytest.raises(AssertionError, match="left unflipped"):
        assert_paired_flip(lambda images, masks: (images, masks))


def test_labels_in_range_on_arrays_and_datasets():
    good = np.zeros((2, 4, 4, 1), np.uint8)
    assert_labels_in_range(good, 3)
    bad = good.copy()
    bad[1, 2, 3, 0] = 3  # trimap label left unshifted
    with pytest.raises(AssertionError, match=r"1 of 32 mask pixels \(3\.12%\).*values \[3\].*index \(1, 2, 3, 0\)"):
        assert_labels_in_range(bad, 3)
    ds = tf.data.Dataset.from_tensor_slices((np.zeros((2, 4, 4, 3)), bad)).batch(1)
    with pytest.raises(AssertionError, match=r"first at batch 1"):
        assert_labels_in_range(ds, 3)
    with pytest.raises(AssertionError, match="bilinear"):
        assert_labels_in_range(good.astype(np.float32), 3)
    with pytest.raises(ValueError, match="max_batches"):
        assert_labels_in_range(ds.repeat(), 3)


def test_finite():
    assert_finite(np.ones(3))
    with pytest.raises(AssertionError, match=r"logits: 1 NaN and 1 inf of 4 values; first at index \(1,\)"):
        assert_finite(np.array([0.0, np.nan, np.inf, 1.0]), "logits")


def test_weights_unchanged_and_all_changed():
    before = {"a": np.zeros(2), "b": np.ones(2)}
    assert_weights_unchanged(before, {"a": np.zeros(2), "b": np.ones(2)})
    with pytest.raises(AssertionError, match=r"1 of 2 encoder weights changed.*largest change 0\.5 in b"):
        assert_weights_unchanged(before, {"a": np.zeros(2), "b": np.array([1.0, 1.5])}, "encoder weights")
    assert_weights_all_changed(before, {"a": np.ones(2), "b": np.zeros(2)})
    with pytest.raises(AssertionError, match=r"1 of 2 weights did not change.*\['a'\]"):
        assert_weights_all_changed(before, {"a": np.zeros(2), "b": np.zeros(2)})


def test_loss_decreased():
    assert_loss_decreased([1.0, 0.7, 0.5], 0.5)
    with pytest.raises(AssertionError, match=r"from 1 to 0\.9, a relative drop of 0\.1; expected at least 0\.5"):
        assert_loss_decreased([1.0, 0.9], 0.5)
    with pytest.raises(AssertionError, match="NaN"):
        assert_loss_decreased([1.0, float("nan")], 0.1)
    with pytest.raises(ValueError, match="two losses"):
        assert_loss_decreased([1.0], 0.1)


def _tutorial_bilinear(datapoint):
    image = tf.image.resize(datapoint["image"], (32, 32)) / 255.0
    mask = tf.image.resize(datapoint["segmentation_mask"], (32, 32)) - 1  # the tutorial's old step
    return image, mask


def _bilinear_then_cast(datapoint):
    image, mask = _tutorial_bilinear(datapoint)
    return image, tf.cast(tf.round(mask), tf.uint8)


def _labels_unshifted(datapoint):
    image, mask = load_image(datapoint, size=32)
    return image, mask + 1


def test_same_preprocessing():
    assert_same_preprocessing(lambda d: load_image(d, size=32))
    with pytest.raises(AssertionError, match=r"^\[unetcheck.assert_same_preprocessing\] example 0 .*float32.*"
                                             r"method='nearest'"):
        assert_same_preprocessing(_tutorial_bilinear)
    with pytest.raises(AssertionError, match=r"only along label edges.*nearest-neighbour"):
        assert_same_preprocessing(_bilinear_then_cast)
    with pytest.raises(AssertionError, match=r"one too high.*1\.\.3 were not shifted"):
        assert_same_preprocessing(_labels_unshifted)
    with pytest.raises(AssertionError, match=r"images differ by up to 0\.7.*value ranges \[0, 1\.49\]"):
        assert_same_preprocessing(lambda d: (load_image(d, size=32)[0] * 2, load_image(d, size=32)[1]))
    with pytest.raises(AssertionError, match="mine: example 0"):
        assert_same_preprocessing(_tutorial_bilinear, custom_message="mine")


def test_probabilities_valid_on_every_pixel():
    logits = np.random.default_rng(0).normal(size=(2, 5, 5, 3))
    assert_probabilities_valid(logits)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    assert_probabilities_valid(probs, from_logits=False)
    probs[1, 4, 4] = [0.5, 0.5, 0.5]  # one pixel of 50
    with pytest.raises(AssertionError, match=r"1 of 50 pixels \(2%\) are not distributions.*at \(1, 4, 4\)"):
        assert_probabilities_valid(probs, from_logits=False)
    logits[0, 0, 0, 0] = np.nan
    with pytest.raises(AssertionError, match=r"1 of 50 pixels .* NaN or inf, first at \(0, 0, 0\)"):
        assert_probabilities_valid(logits)


class _TrainingModeNorm(keras.layers.Layer):
    """The bug assert_batch_independent exists for: batch statistics at inference."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm = keras.layers.BatchNormalization()

    def call(self, x, training=None):
        return self.norm(x, training=True)


def _tiny(extra=None, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    if extra is not None:
        x = extra(x)
    outputs = keras.layers.Conv2D(3, 1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


IMAGES = np.random.default_rng(1).uniform(size=(4, 8, 8, 3)).astype(np.float32)
MASKS = np.random.default_rng(2).integers(0, 3, size=(4, 8, 8, 1)).astype(np.int32)


def test_batch_independent():
    assert_batch_independent(_tiny(keras.layers.BatchNormalization()), IMAGES)
    with pytest.raises(AssertionError, match=r"example 0's output in its batch differs .*BatchNorm in training mode"):
        assert_batch_independent(_tiny(_TrainingModeNorm()), IMAGES)


def test_flip_equivariant():
    pointwise = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1)])
    assert_flip_equivariant(pointwise, IMAGES, min_agreement=1.0)
    shifted = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1),
                                keras.layers.Lambda(lambda x: keras.ops.roll(x, 3, axis=2))])
    with pytest.raises(AssertionError, match=r"agree with flipped masks on .*% of pixels \(required 99%\); least"):
        assert_flip_equivariant(shifted, IMAGES, min_agreement=0.99)


def test_same_predictions(tmp_path):
    model = _tiny()
    model.save(tmp_path / "m.keras")
    assert_same_predictions(model, keras.models.load_model(tmp_path / "m.keras"), IMAGES)
    other = _tiny(seed=5)
    with pytest.raises(AssertionError, match=r"pixels \(.*%\) get another class \(allowed 0%\).*largest logit"):
        assert_same_predictions(model, other, IMAGES)


def _with_encoder(trainable_encoder: bool):
    keras.utils.set_random_seed(0)
    encoder = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, padding="same"),
                                keras.layers.BatchNormalization()], name="encoder")
    encoder.trainable = trainable_encoder
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Conv2D(3, 1, name="head")(encoder(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_frozen_and_all_trainable_change():
    frozen = _with_encoder(trainable_encoder=False)
    step = lambda m: (lambda: m.fit(IMAGES, MASKS, epochs=2, verbose=0))  # noqa: E731
    assert_frozen(frozen, "encoder", step(frozen))
    assert_all_trainable_change(frozen, step(frozen))
    unfrozen = _with_encoder(trainable_encoder=True)
    with pytest.raises(AssertionError, match=r"weights of frozen 'encoder' changed.*largest change"):
        assert_frozen(unfrozen, "encoder", step(unfrozen))
    with pytest.raises(ValueError, match="has no layer 'decoder'"):
        assert_frozen(frozen, "decoder", step(frozen))
    dead = _tiny(keras.layers.Lambda(lambda x: keras.ops.stop_gradient(x)))  # first conv gets no gradient
    with pytest.raises(AssertionError, match=r"2 of 4 trainable weights did not change"):
        assert_all_trainable_change(dead, step(dead))


def test_loss_decreases_and_overfits_batch():
    assert_loss_decreases(_tiny(), (IMAGES, MASKS), steps=30, min_relative_drop=0.1)
    with pytest.raises(AssertionError, match=r"relative drop of .*expected at least 0.5"):
        frozen_everything = _tiny()
        frozen_everything.trainable = False
        frozen_everything.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        assert_loss_decreases(frozen_everything, (IMAGES, MASKS), steps=3, min_relative_drop=0.5)
    ds = tf.data.Dataset.from_tensors((IMAGES, MASKS)).repeat()
    model, autotuned = _tiny(), []
    fit = model.fit
    model.fit = lambda data, **kwargs: autotuned.append(data.options().autotune.enabled) or fit(data, **kwargs)
    assert_loss_decreases(model, ds, steps=30, min_relative_drop=0.1)
    assert autotuned == [False]  # the user's dataset, fitted without tf.data's autotuner
    assert_overfits_batch(_tiny(keras.layers.Conv2D(16, 3, padding="same", activation="relu")), IMAGES, MASKS,
                          steps=150, min_accuracy=0.8)
    with pytest.raises(AssertionError, match=r"after 2 steps on one batch, pixel accuracy is") as failed:
        assert_overfits_batch(_tiny(), IMAGES, MASKS, steps=2, min_accuracy=0.99)
    first, last = re.search(r"loss (\S+) -> (\S+)$", str(failed.value)).groups()
    assert first != last  # the first step's loss, not the last step's twice


def test_deterministic():
    assert_deterministic(lambda: {"noise": keras.random.normal((3,)), "n": 1}, seed=4)
    counter = itertools.count()
    with pytest.raises(AssertionError, match=r"value 0 differs between two runs with seed 0"):
        assert_deterministic(lambda: np.array([next(counter)]))
