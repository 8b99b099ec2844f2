"""The one rule for a usable trimap, and how each problem is worded."""

from __future__ import annotations

import numpy as np
import pytest

from unetcheck.pets import trimaps


def test_labels_classes_and_splits():
    # The dataset's README: 1 foreground (pet), 2 background, 3 not classified (border).
    assert trimaps.TRIMAP_LABELS == (1, 2, 3)
    assert trimaps.CLASS_NAMES == ("pet", "background", "border") and trimaps.NUM_CLASSES == 3
    assert trimaps.SPLITS == ("train", "test")


def test_problems_are_named_or_none():
    assert trimaps.size_problem((4, 5), (4, 5)) is None
    assert trimaps.size_problem((64, 80), (40, 40)) == "trimap is 40x40 but its image is 64x80"
    assert trimaps.range_problem(1, 3) is None
    assert (
        trimaps.range_problem(0, 4) == "mask values must be trimap labels in 1..3 (1 pet, 2 background, "
        "3 border); got min 0, max 4"
    )
    counts = np.zeros(256, int)
    counts[[1, 2, 3]] = 5
    assert trimaps.histogram_problem(counts) is None
    counts[[0, 200]] = [2, 7]
    assert trimaps.histogram_problem(counts) == "trimap values [0, 200] outside 1..3 (9 pixels)"
    assert trimaps.image_range_problem(0.0, 255.0) is None
    assert "got min -1, max 3" in trimaps.image_range_problem(-1.0, 3.0)


@pytest.mark.parametrize(
    "image, mask, match",
    [
        (np.zeros((8, 8), np.uint8), np.ones((8, 8, 1), np.uint8), r"image must have shape \(height, width, 3\)"),
        (np.zeros((8, 8, 3), np.uint8), np.ones((8, 8), np.uint8), r"segmentation_mask must have shape"),
        (np.zeros((8, 8, 3), np.uint8), np.ones((8, 8, 1), np.float32), "integer dtype.*nearest"),
        (np.zeros((8, 8, 3), np.uint8), np.ones((6, 8, 1), np.uint8), "trimap is 6x8 but its image is 8x8"),
        (np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 1), 4, np.uint8), "got min 4, max 4"),
        (np.full((8, 8, 3), 300.0, np.float32), np.ones((8, 8, 1), np.uint8), r"\[0, 255\].*max 300"),
    ],
)
def test_check_example_refuses_each_problem(image, mask, match):
    with pytest.raises(ValueError, match=match):
        trimaps.check_example(image, mask)
    trimaps.check_example(np.zeros((8, 8, 3), np.uint8), np.ones((8, 8, 1), np.uint8))
