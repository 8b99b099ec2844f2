"""The NumPy preprocessing computes what TensorFlow's does: resize bit for bit, and
`oxford_preprocess` equal to `unetcheck.load_image` (the independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from unetcheck import load_image
from unetcheck.checks.hypothesis_strategies import examples
from unetcheck.pets.preprocess import oxford_preprocess, resize_bilinear, resize_nearest

sides = st.integers(1, 48)


@given(image=hnp.arrays(np.uint8, st.tuples(sides, sides, st.integers(1, 3))), out_h=sides, out_w=sides)
def test_resizes_equal_tensorflows(image, out_h, out_w):
    # Same half-pixel formula in float32 as TensorFlow's kernel: measured bit-equal over
    # 400 random shapes; 1e-4 of a 255 range would still catch an off-by-half-pixel slip (O(10)).
    np.testing.assert_allclose(
        resize_bilinear(image, (out_h, out_w)), tf.image.resize(image, (out_h, out_w)).numpy(), rtol=0, atol=1e-4
    )
    np.testing.assert_array_equal(
        resize_nearest(image, (out_h, out_w)), tf.image.resize(image, (out_h, out_w), method="nearest").numpy()
    )


@given(example=examples(min_side=2, max_side=40), size=st.one_of(st.integers(1, 40), st.tuples(sides, sides)))
def test_oxford_preprocess_equals_load_image(example, size):
    image, mask = oxford_preprocess(example, size)
    ref_image, ref_mask = load_image(example, size=size)
    assert image.dtype == np.float32 and mask.dtype == np.uint8
    np.testing.assert_allclose(image, ref_image.numpy(), rtol=0, atol=1e-6)  # /255 of equal values
    np.testing.assert_array_equal(mask, ref_mask.numpy())


@pytest.mark.parametrize("size", [0, -3, 2.5, True, (4,), (4, 0)])
def test_bad_size(size):
    with pytest.raises(ValueError, match="size must be a positive int"):
        oxford_preprocess(
            {"image": np.zeros((4, 4, 3), np.uint8), "segmentation_mask": np.ones((4, 4, 1), np.uint8)}, size
        )


def test_missing_keys():
    with pytest.raises(ValueError, match=r"lacks \['segmentation_mask'\]"):
        oxford_preprocess({"image": np.zeros((4, 4, 3), np.uint8)}, 4)
