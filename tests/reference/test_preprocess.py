"""normalize and load_image: ranges, dtypes, shapes, nearest-neighbour masks, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from unetcheck import load_image, normalize, synthetic_example
from unetcheck.checks.hypothesis_strategies import examples as trimap_examples


@given(image=hnp.arrays(np.uint8, hnp.array_shapes(min_dims=3, max_dims=3, max_side=16)), labels=st.data())
def test_normalize_scales_image_and_shifts_labels(image, labels):
    mask = labels.draw(hnp.arrays(np.uint8, image.shape[:2] + (1,), elements=st.sampled_from([1, 2, 3])))
    out_image, out_mask = normalize(image, mask)
    assert out_image.dtype == tf.float32
    assert out_mask.dtype == tf.uint8
    out_image = out_image.numpy()
    assert out_image.min() >= 0.0 and out_image.max() <= 1.0
    # x / 255 in float32 is exact enough that rounding back recovers every byte.
    np.testing.assert_array_equal(np.rint(out_image * 255.0).astype(np.uint8), image)
    np.testing.assert_array_equal(out_mask.numpy(), mask - 1)


@given(example=trimap_examples(), size=st.sampled_from([1, 7, 32, 128]))
def test_load_image_shapes_and_label_range(example, size):
    image, mask = load_image(example, size=size)
    assert image.shape == (size, size, 3) and image.dtype == tf.float32
    assert mask.shape == (size, size, 1) and mask.dtype.is_integer
    image, mask = image.numpy(), mask.numpy()
    assert 0.0 <= image.min() and image.max() <= 1.0
    # Nearest-neighbour only copies input labels: none invented, all in {0, 1, 2}.
    assert set(np.unique(mask)) <= set(np.unique(example["segmentation_mask"]) - 1)


def test_bilinear_mask_resize_invents_labels_that_nearest_does_not():
    # The tutorial's step, on a trimap the size of a typical Oxford photo (375x500).
    trimap = synthetic_example(3, 375, 500)["segmentation_mask"]
    bilinear = tf.image.resize(trimap, (128, 128)).numpy()
    not_a_class = ~np.isin(bilinear, [1.0, 2.0, 3.0])
    # About 1.3% of a real 375x500 Oxford trimap resized to 128 (the design notes' measurement);
    # any share above 0 breaks the labels.
    assert not_a_class.mean() > 0.001
    _, mask = load_image(synthetic_example(3, 375, 500), size=128)
    assert set(np.unique(mask.numpy())) <= {0, 1, 2}


def test_load_image_in_tf_data_matches_eager():
    examples = [synthetic_example(i, 40 + i, 50) for i in range(3)]
    ds = tf.data.Dataset.from_generator(
        lambda: iter(examples),
        output_signature={
            "image": tf.TensorSpec((None, None, 3), tf.uint8),
            "segmentation_mask": tf.TensorSpec((None, None, 1), tf.uint8),
        },
    ).map(lambda d: load_image(d, size=32))
    for (img, msk), ex in zip(ds, examples):
        e_img, e_msk = load_image(ex, size=32)
        np.testing.assert_array_equal(img.numpy(), e_img.numpy())
        np.testing.assert_array_equal(msk.numpy(), e_msk.numpy())


def _example(h=8, w=8, image=None, mask=None):
    return {
        "image": np.zeros((h, w, 3), np.uint8) if image is None else image,
        "segmentation_mask": np.ones((h, w, 1), np.uint8) if mask is None else mask,
    }


@pytest.mark.parametrize(
    "datapoint, match",
    [
        (_example(image=np.zeros((8, 8), np.uint8)), r"image must have shape \(height, width, 3\)"),
        (_example(image=np.zeros((8, 8, 4), np.uint8)), r"got shape \(8, 8, 4\)"),
        (_example(mask=np.ones((8, 8), np.uint8)), r"segmentation_mask must have shape \(height, width, 1\)"),
        (_example(mask=np.ones((8, 8, 3), np.uint8)), r"got shape \(8, 8, 3\)"),
        (_example(mask=np.full((8, 8, 1), 4, np.uint8)), r"1\.\.3.*got min 4, max 4"),
        (_example(mask=np.zeros((8, 8, 1), np.uint8)), r"1\.\.3.*got min 0, max 0"),
        (_example(mask=np.ones((8, 8, 1), np.float32)), r"integer dtype.*nearest"),
        (_example(image=np.full((8, 8, 3), 300.0, np.float32)), r"\[0, 255\].*max 300"),
        (_example(image=np.full((8, 8, 3), -1.0, np.float32)), r"\[0, 255\].*min -1"),
        (_example(mask=np.ones((6, 8, 1), np.uint8)), r"trimap is 6x8 but its image is 8x8"),
        ({"image": np.zeros((8, 8, 3), np.uint8)}, r"lacks \['segmentation_mask'\]"),
    ],
)
def test_load_image_rejects_bad_input(datapoint, match):
    with pytest.raises(ValueError, match=match):
        load_image(datapoint, size=16)


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_load_image_rejects_bad_size(size):
    with pytest.raises(ValueError, match="size must be a positive int"):
        load_image(_example(), size=size)


def test_bad_labels_inside_tf_data_fail_with_the_same_message():
    bad = _example(mask=np.full((8, 8, 1), 7, np.uint8))
    ds = tf.data.Dataset.from_tensors(bad).map(lambda d: load_image(d, size=16))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"1\.\.3"):
        next(iter(ds))


def test_size_mismatch_with_unknown_shapes_fails_in_tf_data():
    ds = tf.data.Dataset.from_generator(
        lambda: iter([_example(mask=np.ones((5, 8, 1), np.uint8))]),
        output_signature={
            "image": tf.TensorSpec((None, None, 3), tf.uint8),
            "segmentation_mask": tf.TensorSpec((None, None, 1), tf.uint8),
        },
    ).map(lambda d: load_image(d, size=16))
    with pytest.raises(tf.errors.InvalidArgumentError, match="same height and width"):
        next(iter(ds))
