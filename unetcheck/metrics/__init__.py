"""The measurement and the gate: segmentation metrics on label masks of any framework (the
confusion matrix, IoU and mean IoU, Dice, precision and recall, pixel accuracy, boundary IoU,
and the surface distances of `unetcheck.metrics.surface`: NSD, HD95, ASSD), per image and
over a test set, and the comparison of runs (`unetcheck.metrics.regression`). Each metric
is defined in a module of one job (`scores`, `boundary`, `surface`), listed once in
`registry`, measured per image by `per_image` (over `streaming`'s workers), and importable
from here. This package needs NumPy and SciPy and the array edge `unetcheck._core`; the
checks (`unetcheck.checks.assert_no_regression`) call into it, never the other way.

The absent-class rule, as `keras.metrics.MeanIoU` and torchmetrics' `MeanIoU` apply it: a
class absent from both the truth and the prediction has an undefined IoU, Dice and boundary
IoU (0/0), reported as NaN and left out of every mean. Dataset figures come from counts
summed over the images (IoU = sum TP / sum (TP + FP + FN)), not from averaging per-image
ratios, which is also what lets `unetcheck.metrics.regression` resample images.

Boundary IoU (Cheng et al., "Boundary IoU: Improving Object-Centric Image Segmentation
Evaluation", CVPR 2021) is the IoU of the two masks' boundary bands: the pixels of each
class mask within distance d of its contour (the image's edge counts as contour, as in
the authors' code), d = `boundary_ratio` x the image diagonal, rounded, at least 1
(`unetcheck.metrics.boundary`). It sees blurred or shifted edges that region IoU, dominated
by the interiors, hides.

Precision TP / (TP + FP) and recall TP / (TP + FN) per class follow the same rule: NaN for a
class absent from both; a class never predicted (or never true) but present in the other
scores 0, as torchmetrics' `zero_division=0` and scikit-learn do (MONAI gives NaN there).
Surface distances are per image; their dataset figure is the mean over the images where
the class is defined.

`ignore_index` (a void label, 255 in Pascal VOC, Cityscapes and SegFormer's configs): the
pixels whose *true* label it is count for no metric. They enter no confusion matrix, and
belong to no class in either mask for boundary IoU and the surface distances.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from unetcheck.metrics.boundary import BOUNDARY_RATIO, boundary_band, boundary_counts, boundary_width
from unetcheck.metrics.per_image import (
    FINGERPRINT_RECIPE,
    FORMAT,
    Fingerprint,
    PerImageMetrics,
    concatenate,
    mask_digest,
    per_image_metrics,
)
from unetcheck.metrics.regression import Comparison, compare
from unetcheck.metrics.scores import (
    confusion_matrix,
    dice_per_class,
    iou_per_class,
    majority_confusion,
    mean_iou,
    nan_mean,
    pixel_accuracy,
    precision_per_class,
    ratio_of_counts,
    recall_per_class,
    surface_mean,
)
from unetcheck.metrics.surface import NSD_TOLERANCE, SURFACE_METRICS, surface_metrics

__all__ = [
    "BOUNDARY_RATIO",
    "Comparison",
    "FINGERPRINT_RECIPE",
    "FORMAT",
    "NSD_TOLERANCE",
    "SURFACE_METRICS",
    "PerImageMetrics",
    "boundary_band",
    "boundary_counts",
    "boundary_iou",
    "boundary_width",
    "compare",
    "concatenate",
    "confusion_matrix",
    "dice_per_class",
    "Fingerprint",
    "fingerprint",
    "iou_per_class",
    "majority_confusion",
    "mask_digest",
    "mean_iou",
    "nan_mean",
    "per_image_metrics",
    "pixel_accuracy",
    "precision_per_class",
    "ratio_of_counts",
    "recall_per_class",
    "surface_mean",
    "surface_metrics",
]


def boundary_iou(
    y_true: Any, y_pred: Any, num_classes: int, boundary_ratio: float = BOUNDARY_RATIO, ignore_index: int | None = None
) -> np.ndarray:
    """Boundary IoU per class over (N, H, W[, 1]) label masks (counts summed over the images);
    NaN where a class is absent from both.

    Examples:
        >>> import numpy as np
        >>> truth = np.zeros((1, 64, 64), int)
        >>> truth[0, 16:48, 16:48] = 1
        >>> boundary_iou(truth, np.roll(truth, 2, axis=2), 2).round(2)  # an edge two pixels off
        array([0.7 , 0.33])
    """
    per_image = per_image_metrics(
        y_true, y_pred, num_classes, boundary_ratio=boundary_ratio, ignore_index=ignore_index, surface=False
    )
    return ratio_of_counts(per_image.boundary_intersection.sum(0), per_image.boundary_union.sum(0))


def fingerprint(masks: Iterable[Any], names: Sequence[str] | None = None) -> str:
    """The SHA-256 of a test set's true masks (and names), as every run of unetcheck makes it
    (`FINGERPRINT_RECIPE`): equal only for the same test set.

    Examples:
        >>> import numpy as np
        >>> masks = np.zeros((2, 4, 4), int)
        >>> fingerprint(masks) == fingerprint(masks.astype(np.uint8)[..., None])  # any type, a trailing axis of 1
        True
        >>> fingerprint(masks) == fingerprint(masks, names=["a", "b"])
        False
    """
    if names is not None and not all(isinstance(name, str) for name in names):
        raise TypeError(
            "fingerprint(masks, names) takes the true masks and their names; the photos are not "
            "part of a test set's fingerprint (FINGERPRINT_RECIPE)"
        )
    digest = Fingerprint()
    for mask in masks:
        digest.add_mask(mask)
    return digest.hexdigest(names)
