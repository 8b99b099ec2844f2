"""IoU, mean IoU, pixel accuracy and the majority baseline, property-tested."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from unetcheck.checks.metrics import confusion_matrix, iou_per_class, majority_confusion, mean_iou, pixel_accuracy

masks = hnp.arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.integers(0, 2))


@given(mask=masks)
def test_iou_of_a_mask_with_itself_is_one_for_present_classes(mask):
    iou = iou_per_class(confusion_matrix(mask, mask, 3))
    present = np.isin(np.arange(3), mask)
    np.testing.assert_array_equal(iou[present], 1.0)
    assert np.isnan(iou[~present]).all()  # absent from both: undefined, left out
    assert mean_iou(confusion_matrix(mask, mask, 3)) == 1.0
    assert pixel_accuracy(confusion_matrix(mask, mask, 3)) == 1.0


@given(data=st.data(), mask=masks)
def test_iou_matches_set_definition(data, mask):
    pred = data.draw(hnp.arrays(np.int64, mask.shape, elements=st.integers(0, 2)))
    iou = iou_per_class(confusion_matrix(mask, pred, 3))
    for c in range(3):
        inter = ((mask == c) & (pred == c)).sum()
        union = ((mask == c) | (pred == c)).sum()
        if union:
            assert iou[c] == pytest.approx(inter / union)
        else:
            assert np.isnan(iou[c])
    assert 0.0 <= pixel_accuracy(confusion_matrix(mask, pred, 3)) <= 1.0


@given(mask=masks)
def test_majority_baseline_predicts_the_most_frequent_class(mask):
    confusion = confusion_matrix(mask, mask, 3)
    majority = int(np.argmax(np.bincount(mask.ravel(), minlength=3)))
    expected = confusion_matrix(mask, np.full_like(mask, majority), 3)
    np.testing.assert_array_equal(majority_confusion(confusion), expected)


def test_mean_iou_ignores_undefined_classes_and_known_value():
    truth = np.array([0, 0, 1, 1])
    pred = np.array([0, 1, 1, 1])
    # class 0: 1/2, class 1: 2/3, class 2 absent: mean of the two.
    assert mean_iou(confusion_matrix(truth, pred, 3)) == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_bad_inputs():
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="pixels"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 3)
