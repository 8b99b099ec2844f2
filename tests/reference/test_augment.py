"""Augment: one flip decision per example, applied to image and mask alike."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from unetcheck import Augment
from unetcheck.reference.augment import _flip_examples, _flip_examples_tf

# Augment's TensorFlow flip traced once with no static shapes, as in a tf.data map after batch().
_FLIP_TRACED = tf.function(
    _flip_examples_tf, input_signature=[tf.TensorSpec(None, tf.float32), tf.TensorSpec([None], tf.bool)]
)


def _paired(masks: np.ndarray) -> np.ndarray:
    """Images whose channel 0 encodes the mask pixel by pixel, channel 1 the column."""
    b, h, w, _ = masks.shape
    cols = np.broadcast_to(np.arange(w, dtype=np.float32)[None, None, :], (b, h, w))
    return np.stack([masks[..., 0].astype(np.float32) * 50.0, cols, np.zeros_like(cols)], -1)


def _flipped(images: np.ndarray) -> np.ndarray:
    """Per example: True where the column channel was reversed."""
    w = images.shape[2]
    return images[:, 0, 0, 1] == (w - 1)


masks_batches = hnp.arrays(
    np.uint8,
    st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(2, 12), st.just(1)),
    elements=st.sampled_from([0, 1, 2]),
)


@given(masks=masks_batches, seed=st.integers(0, 2**16))
def test_pixelwise_relation_survives_augment_eagerly(masks, seed):
    images = _paired(masks)
    out_images, out_masks = Augment(seed=seed)(images, masks)
    out_images, out_masks = np.asarray(out_images), np.asarray(out_masks)
    assert out_masks.dtype == np.uint8  # Keras's RandomFlip would return float32
    np.testing.assert_array_equal(out_images[..., 0], out_masks[..., 0].astype(np.float32) * 50.0)
    # Each example is either untouched or mirrored, never anything else.
    flipped = _flipped(out_images)
    expected = np.where(flipped[:, None, None, None], masks[:, :, ::-1], masks)
    np.testing.assert_array_equal(out_masks, expected)


@given(masks=masks_batches)
def test_pixelwise_relation_survives_augment_in_tf_data(masks):
    images = _paired(masks)
    ds = tf.data.Dataset.from_tensor_slices((images, masks)).batch(5).map(Augment(seed=1))
    for out_images, out_masks in ds:
        assert out_masks.dtype == tf.uint8
        np.testing.assert_array_equal(out_images.numpy()[..., 0], out_masks.numpy()[..., 0].astype(np.float32) * 50.0)


def _decisions_eager(seed: int, n: int = 64) -> np.ndarray:
    masks = np.zeros((n, 4, 6, 1), np.int32)
    images, _ = Augment(seed=seed)(_paired(masks), masks)
    return _flipped(np.asarray(images))


def test_both_flipped_and_unflipped_examples_occur():
    # 64 fair draws are all alike with probability 2**-63.
    flips = _decisions_eager(seed=42)
    assert 0 < flips.sum() < flips.size
    masks = np.zeros((64, 4, 6, 1), np.int32)
    ds = tf.data.Dataset.from_tensor_slices((_paired(masks), masks)).batch(16).map(Augment(seed=42))
    flips = np.concatenate([_flipped(images.numpy()) for images, _ in ds])
    assert 0 < flips.sum() < flips.size


def test_same_seed_same_decisions_other_seed_differs():
    np.testing.assert_array_equal(_decisions_eager(7), _decisions_eager(7))
    assert (_decisions_eager(7) != _decisions_eager(8)).any()


def test_single_example_keeps_shape_and_dtype():
    mask = np.arange(12, dtype=np.int64).reshape(3, 4, 1) % 3
    image = _paired(mask[None])[0]
    out_image, out_mask = Augment(seed=0)(image, mask)
    assert tuple(out_image.shape) == (3, 4, 3) and tuple(out_mask.shape) == (3, 4, 1)
    assert np.asarray(out_mask).dtype == np.int64
    np.testing.assert_array_equal(np.asarray(out_image)[..., 0], np.asarray(out_mask)[..., 0] * 50.0)


def test_rank_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match=r"both of rank 4.*\(2, 4, 4, 3\) and \(4, 4, 1\)"):
        Augment()(np.zeros((2, 4, 4, 3), np.float32), np.zeros((4, 4, 1), np.uint8))


def test_pinned_two_same_seeded_random_flips_agree_on_this_keras():
    """Pins what the tutorial relies on; Augment does not rely on it.

    keras-team/keras#17457 reports disagreement since TF 2.10; on Keras 3.15 the two
    generators are drawn in the same order, so they agree. If this fails, the tutorial's
    Augment has broken on the installed Keras, and ours is unaffected.
    """
    masks = np.zeros((2048, 2, 4, 1), np.float32)
    masks[:, :, 0] = 1.0  # asymmetric: a flip moves the 1 to the last column
    images = np.repeat(masks, 3, axis=-1)
    flip_images = keras.layers.RandomFlip("horizontal", seed=42)
    flip_masks = keras.layers.RandomFlip("horizontal", seed=42)
    out_images = np.asarray(flip_images(images, training=True))
    out_masks = np.asarray(flip_masks(masks, training=True))
    disagreements = int((out_images[..., 0, 0, 0] != out_masks[..., 0, 0, 0]).sum())
    assert disagreements == 0, f"{disagreements} of 2048 examples flipped differently"
    # ... and RandomFlip returns a float mask even from integer input.
    assert np.asarray(flip_masks(np.zeros((1, 2, 2, 1), np.uint8))).dtype == np.float32


@given(
    batch=hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 9), st.integers(1, 5), st.integers(1, 7), st.integers(1, 3)),
        elements=st.floats(-1e3, 1e3, width=32),
    ),
    data=st.data(),
)
def test_tensorflow_flip_path_moves_the_same_values_as_the_generic_one(batch, data):
    """Augment's TensorFlow path (partition, reverse the flipped, stitch) against the
    backend-agnostic `where` over the whole batch: bit for bit, any mix of decisions."""
    flip = np.array(data.draw(st.lists(st.booleans(), min_size=len(batch), max_size=len(batch))))
    expected = np.asarray(_flip_examples(batch, flip))
    np.testing.assert_array_equal(expected, np.where(flip[:, None, None, None], batch[:, :, ::-1], batch))
    np.testing.assert_array_equal(_flip_examples_tf(tf.constant(batch), tf.constant(flip)).numpy(), expected)
    np.testing.assert_array_equal(_FLIP_TRACED(tf.constant(batch), tf.constant(flip)).numpy(), expected)


def test_pinned_keras_paired_flip_on_a_dict_on_this_keras():
    """Pins what Keras's own paired augmentation (Keras >= 3.6) does on the installed Keras:
    one decision per example for both tensors and class ids kept, but the mask comes back
    float32. `Augment` keeps the mask's dtype, and is faster (`make bench ARGS="-k flip"`),
    so it stays; if this fails, re-measure and revisit that choice and the README."""
    masks = np.zeros((2048, 2, 4, 1), np.uint8)
    masks[:, :, 0] = 2  # asymmetric: a flip moves the 2 to the last column
    images = np.repeat(masks.astype(np.float32), 3, axis=-1)
    out = keras.layers.RandomFlip("horizontal", seed=42)({"images": images, "segmentation_masks": masks}, training=True)
    out_images, out_masks = np.asarray(out["images"]), np.asarray(out["segmentation_masks"])
    flipped = out_masks[:, 0, -1, 0] == 2
    assert 0 < flipped.sum() < len(flipped)
    np.testing.assert_array_equal(out_images[..., :1], out_masks)  # paired, pixel for pixel
    assert set(np.unique(out_masks)) == {0.0, 2.0}  # class ids kept
    assert out_masks.dtype == np.float32  # ... as floats: the integer mask is not kept
