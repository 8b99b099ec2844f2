"""Boundary IoU's bands for every class of a label map at once: against SciPy's chessboard
distance transform of each class's mask alone, in 2-D and 3-D."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import ndimage

from unetcheck.metrics.boundary import band_labels, boundary_counts, boundary_width

label_maps = st.integers(2, 3).flatmap(
    lambda ndim: hnp.arrays(np.int64, st.tuples(*[st.integers(1, 12)] * ndim), elements=st.integers(-1, 2))
)


def _chessboard_band(mask, width):
    """The mask's pixels within chessboard distance `width` of a pixel outside it or the array."""
    padded = np.pad(mask, 1, constant_values=False)
    inner = tuple(slice(1, -1) for _ in range(mask.ndim))
    return mask & (ndimage.distance_transform_cdt(padded, metric="chessboard")[inner] <= width)


@given(labels=label_maps, width=st.integers(1, 4), smooth=st.booleans())
def test_each_class_band_is_its_chessboard_distance_band(labels, width, smooth):
    if smooth:  # larger regions, where interiors exist
        labels = ndimage.median_filter(labels, 3)
    bands = band_labels(labels, width)
    for c in range(3):
        np.testing.assert_array_equal(bands == c, _chessboard_band(labels == c, width), err_msg=f"class {c}")
    assert not (bands[labels < 0] >= 0).any()  # void pixels belong to no band


@given(
    pair=st.tuples(st.integers(2, 12), st.integers(2, 12)).flatmap(
        lambda shape: st.tuples(*[hnp.arrays(np.int64, shape, elements=st.integers(0, 2))] * 2)
    )
)
def test_counts_are_the_intersection_and_union_of_the_bands(pair):
    truth, pred = pair
    width = boundary_width(*truth.shape)
    intersection, union = boundary_counts(truth, pred, 3)
    for c in range(3):
        a, b = _chessboard_band(truth == c, width), _chessboard_band(pred == c, width)
        assert intersection[c] == (a & b).sum() and union[c] == (a | b).sum()


def test_the_width_follows_the_diagonal_in_any_dimension():
    assert boundary_width(128, 128) == 4  # 2% of 181 pixels
    assert boundary_width(1024, 2048) == 46  # 2% of 2290: Cityscapes
    assert boundary_width(128, 128, 128) == 4  # 2% of 222 voxels
    assert boundary_width(8, 8) == 1  # at least one pixel


def test_a_band_wider_than_the_array_is_the_whole_mask():
    labels = np.zeros((5, 40), np.int64)
    assert (band_labels(labels, 3) == 0).all()  # 5 rows: no 7 x 7 square fits
    with pytest.raises(TypeError, match="side lengths, boundary_ratio by keyword"):
        boundary_width((128, 128), 0.02)  # the old call: shape and ratio positionally
