"""Segmentation metrics from label masks: confusion matrix, IoU, mean IoU, accuracy.

Plain NumPy on integer masks (argmax of logits, never thresholds). A class absent from
both the truth and the prediction has an undefined IoU (0/0): it is reported as NaN and
left out of the mean, as Keras's MeanIoU leaves it out.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    """Counts pixels by (true class, predicted class).

    Raises:
      ValueError: shapes that differ, or labels outside [0, num_classes).
    """
    y_true = np.asarray(y_true).astype(np.int64).ravel()
    y_pred = np.asarray(y_pred).astype(np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} pixels but y_pred has {y_pred.size}")
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
            raise ValueError(
                f"{name} holds labels in [{arr.min()}, {arr.max()}], outside [0, {num_classes})"
            )
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """IoU = TP / (TP + FP + FN) per class; NaN where a class is absent from both."""
    confusion = np.asarray(confusion, dtype=np.float64)
    tp = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / np.where(union > 0, union, 1), np.nan)


def mean_iou(confusion: np.ndarray) -> float:
    """Mean of the defined per-class IoUs (NaN if none is defined)."""
    iou = iou_per_class(confusion)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def pixel_accuracy(confusion: np.ndarray) -> float:
    """Share of pixels whose predicted class is the true class."""
    confusion = np.asarray(confusion)
    return float(np.trace(confusion) / max(confusion.sum(), 1))


def majority_confusion(confusion: np.ndarray) -> np.ndarray:
    """The confusion matrix of always predicting the most frequent true class."""
    confusion = np.asarray(confusion)
    support = confusion.sum(1)
    majority = np.zeros_like(confusion)
    majority[:, int(np.argmax(support))] = support
    return majority
