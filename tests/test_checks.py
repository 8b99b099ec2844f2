"""unetcheck.checks: each check passes on good input and says what, where, how much on bad."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from unetcheck import Augment
from unetcheck.checks import (
    assert_finite, assert_labels_in_range, assert_loss_decreased, assert_paired_flip,
    assert_weights_all_changed, assert_weights_unchanged,
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
