"""Scores from pixel counts: the confusion matrix of one image's label masks, and IoU, Dice,
precision, recall, pixel accuracy and the means over classes, from one confusion matrix or
a stack of them (the bootstrap of `unetcheck.metrics.regression` evaluates thousands of
resamples at once); the mean of per-image figures (surface distances) over images.

The absent-class rule, as `keras.metrics.MeanIoU` and torchmetrics' `MeanIoU` apply it: a
class absent from both the truth and the prediction has an undefined score (0/0), reported
as NaN and left out of every mean. Precision and recall of a class never predicted (or never
true) but present in the other mask score 0, as torchmetrics' `zero_division=0` and
scikit-learn do (MONAI gives NaN there).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from unetcheck._core import to_numpy


def as_labels(y: Any, name: str) -> np.ndarray:
    """`y` as int64 class ids (integer-valued floats too); a ValueError names fractional ones."""
    arr = to_numpy(y)
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
        raise ValueError(
            f"{name} must hold integer class ids; got dtype {arr.dtype} with fractional values "
            "(take the argmax of logits first: create_mask)"
        )
    return arr.astype(np.int64)


def label_maps(
    y_true: Any, y_pred: Any, num_classes: int, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two label masks checked to hold classes [0, `num_classes`) where `valid`, as int16 (int64
    for 2^15 classes or more) with -1 where not valid: what boundary bands and surface
    distances work on, in a quarter of int64's bytes.

    Raises:
      ValueError: masks of other shapes, or labels outside the classes (naming the mask).
    """
    truth, pred = np.asarray(y_true), np.asarray(y_pred)
    if truth.shape != pred.shape:
        raise ValueError(f"y_true has shape {truth.shape} but y_pred {pred.shape}")
    for name, labels in (("y_true", truth), ("y_pred", pred)):
        kept = labels if valid is None else labels[valid]
        if kept.size and (kept.min() < 0 or kept.max() >= num_classes):
            raise ValueError(f"{name} holds labels in [{kept.min()}, {kept.max()}], outside [0, {num_classes})")
    kind = np.int16 if num_classes < 2**15 else np.int64
    truth, pred = truth.astype(kind, copy=False), pred.astype(kind, copy=False)
    if valid is not None:
        truth, pred = np.where(valid, truth, kind(-1)), np.where(valid, pred, kind(-1))
    return truth, pred


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Counts pixels by (true class, predicted class): a (num_classes, num_classes) int64 array.

    Examples:
        >>> import numpy as np
        >>> confusion_matrix(np.array([0, 0, 1, 255]), np.array([0, 1, 1, 0]), 2, ignore_index=255)
        array([[1, 1],
               [0, 1]])

    Args:
      ignore_index: a true label whose pixels are left out (their prediction too).

    Raises:
      ValueError: shapes that differ, non-integer labels, or labels outside [0, num_classes).
    """
    y_true, y_pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred {y_pred.shape}")
    y_true, y_pred = y_true.ravel(), y_pred.ravel()
    if ignore_index is not None:
        keep = y_true != ignore_index
        y_true, y_pred = y_true[keep], y_pred[keep]
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
            raise ValueError(f"{name} holds labels in [{arr.min()}, {arr.max()}], outside [0, {num_classes})")
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes**2).reshape(num_classes, num_classes)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, np.float64), np.asarray(denominator, np.float64)
    return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def _scalar_or_array(values: np.ndarray) -> Any:
    return float(values) if np.ndim(values) == 0 else values


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """IoU = TP / (TP + FP + FN) per class; NaN where a class is absent from both.

    Examples:
        >>> import numpy as np
        >>> confusion = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]])  # (true, predicted); class 2 absent
        >>> iou_per_class(confusion)
        array([0.5, 0.5, nan])
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    tp = np.diagonal(confusion, axis1=-2, axis2=-1)
    return _ratio(tp, confusion.sum(-2) + confusion.sum(-1) - tp)


def dice_per_class(confusion: np.ndarray) -> np.ndarray:
    """Dice (F1) = 2 TP / (2 TP + FP + FN) per class; NaN where a class is absent from both.

    Examples:
        >>> import numpy as np
        >>> confusion = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]])  # (true, predicted); class 2 absent
        >>> dice_per_class(confusion).round(3)
        array([0.667, 0.667,   nan])
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    tp = np.diagonal(confusion, axis1=-2, axis2=-1)
    return _ratio(2 * tp, confusion.sum(-2) + confusion.sum(-1))


def _share_of_true_positives(confusion: np.ndarray, axis: int) -> np.ndarray:
    """TP over the confusion matrix's sums along `axis` (-2: predicted, -1: true) per class;
    NaN where a class is absent from both, 0 where the sum is empty but the class is not."""
    confusion = np.asarray(confusion, dtype=np.float64)
    tp = np.diagonal(confusion, axis1=-2, axis2=-1)
    values = _ratio(tp, confusion.sum(axis))
    present = (confusion.sum(-1) + confusion.sum(-2)) > 0
    return np.where(np.isnan(values) & present, 0.0, values)


def precision_per_class(confusion: np.ndarray) -> np.ndarray:
    """Precision = TP / (TP + FP) per class: NaN where a class is absent from both, 0 where
    it is true somewhere but never predicted.

    Examples:
        >>> import numpy as np
        >>> confusion = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]])  # (true, predicted); class 2 absent
        >>> precision_per_class(confusion)
        array([1. , 0.5, nan])
    """
    return _share_of_true_positives(confusion, -2)


def recall_per_class(confusion: np.ndarray) -> np.ndarray:
    """Recall (sensitivity) = TP / (TP + FN) per class: NaN where a class is absent from
    both, 0 where it is predicted somewhere but never true.

    Examples:
        >>> import numpy as np
        >>> confusion = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]])  # (true, predicted); class 2 absent
        >>> recall_per_class(confusion)
        array([0.5, 1. , nan])
    """
    return _share_of_true_positives(confusion, -1)


def nan_mean(values: np.ndarray) -> Any:
    """Mean of the defined (finite) values over the last axis (NaN where none is); a float for
    one vector."""
    values = np.asarray(values, np.float64)
    defined = np.isfinite(values)
    count = defined.sum(-1)
    mean = np.where(count > 0, np.where(defined, values, 0).sum(-1) / np.maximum(count, 1), np.nan)
    return _scalar_or_array(mean)


def mean_iou(confusion: np.ndarray) -> Any:
    """Mean of the defined per-class IoUs (NaN if none is defined).

    Examples:
        >>> import numpy as np
        >>> confusion = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]])  # (true, predicted); class 2 absent
        >>> mean_iou(confusion)  # class 2 left out
        0.5
    """
    return nan_mean(iou_per_class(confusion))


def pixel_accuracy(confusion: np.ndarray) -> Any:
    """Share of pixels whose predicted class is the true class.

    Examples:
        >>> import numpy as np
        >>> confusion = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]])  # (true, predicted); class 2 absent
        >>> pixel_accuracy(confusion)
        0.6666666666666666
    """
    confusion = np.asarray(confusion, np.float64)
    total = confusion.sum((-2, -1))
    return _scalar_or_array(np.trace(confusion, axis1=-2, axis2=-1) / np.maximum(total, 1))


def ratio_of_counts(intersection: np.ndarray, union: np.ndarray) -> np.ndarray:
    """Intersection / union of pixel counts (boundary IoU's), element by element; NaN where
    the union is empty (a class absent from both masks)."""
    return _ratio(np.asarray(intersection, np.float64), np.asarray(union, np.float64))


def majority_confusion(confusion: np.ndarray) -> np.ndarray:
    """The confusion matrix of always predicting the most frequent true class."""
    confusion = np.asarray(confusion)
    support = confusion.sum(1)
    majority = np.zeros_like(confusion)
    majority[:, int(np.argmax(support))] = support
    return majority


def surface_mean(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per class, the (weighted) mean over images of per-image surface figures (N, K), over
    the images where the figure is finite: NaN (a class in neither mask) and inf (a class in
    one mask only, which `missed_per_class` counts instead) are left out; NaN where no image
    is left. `weights` (R, N) gives R means at once, as the bootstrap draws images.

    Examples:
        >>> import numpy as np
        >>> surface_mean(np.array([[1.0, np.nan], [3.0, np.inf]]))  # class 1: in one mask of image 1 only
        array([[ 2., nan]])
    """
    values = np.asarray(values, np.float64)
    weights = np.ones((1, len(values))) if weights is None else np.asarray(weights, np.float64)
    finite = np.isfinite(values)
    counts = weights @ finite
    sums = weights @ np.where(finite, values, 0.0)
    return np.where(counts > 0, sums / np.maximum(counts, 1e-300), np.nan)


def class_presence(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image and class, (N, K) each: whether the class is in the truth, and whether it is
    in the prediction, from per-image confusion matrices (N, K, K) (void pixels left out)."""
    confusion = np.asarray(confusion)
    return confusion.sum(-1) > 0, confusion.sum(-2) > 0


def missed_per_class(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image and class (N, K): missed, the class is in the truth and nowhere in the
    prediction; invented, the reverse. There a surface distance is infinite.

    Examples:
        >>> import numpy as np
        >>> confusion = np.array([[[5, 0], [3, 0]]])  # one image: class 1 true on 3 pixels, never predicted
        >>> missed_per_class(confusion)
        (array([[False,  True]]), array([[False, False]]))
    """
    truth, pred = class_presence(confusion)
    return truth & ~pred, pred & ~truth
