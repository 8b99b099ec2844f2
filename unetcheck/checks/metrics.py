"""Segmentation metrics on label masks of any framework: the confusion matrix, IoU and mean IoU,
Dice, precision and recall, pixel accuracy, boundary IoU, and the surface distances of
`unetcheck.checks.surface` (NSD, HD95, ASSD), per image and over a dataset.

The absent-class rule, as `keras.metrics.MeanIoU` and torchmetrics' `MeanIoU` apply it: a
class absent from both the truth and the prediction has an undefined IoU, Dice and boundary
IoU (0/0), reported as NaN and left out of every mean. Dataset figures come from counts
summed over the images (IoU = sum TP / sum (TP + FP + FN)), not from averaging per-image
ratios, which is also what lets `unetcheck.checks.regression` resample images.

Boundary IoU (Cheng et al., "Boundary IoU: Improving Object-Centric Image Segmentation
Evaluation", CVPR 2021) is the IoU of the two masks' boundary bands: the pixels of each
class mask within distance d of its contour (the image's edge counts as contour, as in
the authors' code), d = `boundary_ratio` x the image diagonal, rounded, at least 1. It
sees blurred or shifted edges that region IoU, dominated by the interiors, hides.

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

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from unetcheck.checks._core import to_numpy
from unetcheck.checks.surface import NSD_TOLERANCE, SURFACE_METRICS, surface_metrics

#: The boundary band's width as a share of the image diagonal (the paper's default).
BOUNDARY_RATIO = 0.02
#: The per-image artifact's format tag (version 1, without surface distances and
#: `ignore_index`, is read too).
FORMAT = "unetcheck.per_image/2"
_FORMATS = ("unetcheck.per_image/1", FORMAT)


def _labels(y: Any, name: str) -> np.ndarray:
    arr = to_numpy(y)
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
        raise ValueError(f"{name} must hold integer class ids; got dtype {arr.dtype} with fractional values "
                         "(take the argmax of logits first: create_mask)")
    return arr.astype(np.int64)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Counts pixels by (true class, predicted class): a (num_classes, num_classes) int64 array.

    Example:

    >>> import numpy as np
    >>> confusion_matrix(np.array([0, 0, 1, 255]), np.array([0, 1, 1, 0]), 2, ignore_index=255)
    array([[1, 1],
           [0, 1]])

    Args:
      ignore_index: a true label whose pixels are left out (their prediction too).

    Raises:
      ValueError: shapes that differ, non-integer labels, or labels outside [0, num_classes).
    """
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
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


# The metrics below take one confusion matrix (K, K) or a stack of them (..., K, K), as the
# bootstrap in `unetcheck.checks.regression` evaluates thousands of resamples at once.


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """IoU = TP / (TP + FP + FN) per class; NaN where a class is absent from both.

    Example:

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

    Example:

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

    Example:

    >>> import numpy as np
    >>> confusion = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]])  # (true, predicted); class 2 absent
    >>> precision_per_class(confusion)
    array([1. , 0.5, nan])
    """
    return _share_of_true_positives(confusion, -2)


def recall_per_class(confusion: np.ndarray) -> np.ndarray:
    """Recall (sensitivity) = TP / (TP + FN) per class: NaN where a class is absent from
    both, 0 where it is predicted somewhere but never true.

    Example:

    >>> import numpy as np
    >>> confusion = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]])  # (true, predicted); class 2 absent
    >>> recall_per_class(confusion)
    array([0.5, 1. , nan])
    """
    return _share_of_true_positives(confusion, -1)


def nan_mean(values: np.ndarray, keep_inf: bool = False) -> Any:
    """Mean of the defined values over the last axis (NaN where none is); a float for one vector.
    NaN is undefined; so is inf unless `keep_inf` (surface distances: a missed class's inf)."""
    values = np.asarray(values, np.float64)
    defined = ~np.isnan(values) if keep_inf else np.isfinite(values)
    count = defined.sum(-1)
    mean = np.where(count > 0, np.where(defined, values, 0).sum(-1) / np.maximum(count, 1), np.nan)
    return _scalar_or_array(mean)


def mean_iou(confusion: np.ndarray) -> Any:
    """Mean of the defined per-class IoUs (NaN if none is defined).

    Example:

    >>> import numpy as np
    >>> confusion = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]])  # (true, predicted); class 2 absent
    >>> mean_iou(confusion)  # class 2 left out
    0.5
    """
    return nan_mean(iou_per_class(confusion))


def pixel_accuracy(confusion: np.ndarray) -> Any:
    """Share of pixels whose predicted class is the true class.

    Example:

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


def boundary_width(height: int, width: int, boundary_ratio: float = BOUNDARY_RATIO) -> int:
    """The band's width d in pixels: `boundary_ratio` x the diagonal, rounded, at least 1."""
    return max(1, int(round(boundary_ratio * float(np.hypot(height, width)))))


def boundary_band(mask: np.ndarray, width: int) -> np.ndarray:
    """The pixels of a 2-D boolean mask within `width` pixels (chessboard distance) of its
    contour, the image's edge included: the mask minus its erosion by a 3x3 square, `width` times."""
    inner = np.pad(mask.astype(bool), 1, constant_values=False)
    for _ in range(width):
        shrunk = inner.copy()
        shrunk[1:-1, 1:-1] &= (inner[:-2, 1:-1] & inner[2:, 1:-1] & inner[1:-1, :-2] & inner[1:-1, 2:]
                               & inner[:-2, :-2] & inner[:-2, 2:] & inner[2:, :-2] & inner[2:, 2:])
        inner = shrunk
        inner[0, :] = inner[-1, :] = inner[:, 0] = inner[:, -1] = False
    return mask.astype(bool) & ~inner[1:-1, 1:-1]


def boundary_counts(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int,
                    boundary_ratio: float = BOUNDARY_RATIO, valid: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per class, the intersection and union of the two boundary bands of one (H, W) image;
    pixels where `valid` is False belong to no class."""
    width = boundary_width(*y_true.shape[:2], boundary_ratio)
    intersection, union = np.zeros(num_classes, np.int64), np.zeros(num_classes, np.int64)
    valid = np.ones(y_true.shape, bool) if valid is None else valid
    for c in range(num_classes):
        truth, pred = boundary_band((y_true == c) & valid, width), boundary_band((y_pred == c) & valid, width)
        intersection[c], union[c] = int((truth & pred).sum()), int((truth | pred).sum())
    return intersection, union


def boundary_iou(y_true: Any, y_pred: Any, num_classes: int, boundary_ratio: float = BOUNDARY_RATIO,
                 ignore_index: int | None = None) -> np.ndarray:
    """Boundary IoU per class over (N, H, W[, 1]) label masks (counts summed over the images);
    NaN where a class is absent from both.

    Example:

    >>> import numpy as np
    >>> truth = np.zeros((1, 64, 64), int)
    >>> truth[0, 16:48, 16:48] = 1
    >>> boundary_iou(truth, np.roll(truth, 2, axis=2), 2).round(2)  # an edge two pixels off
    array([0.7 , 0.33])
    """
    per_image = per_image_metrics(y_true, y_pred, num_classes, boundary_ratio=boundary_ratio,
                                  ignore_index=ignore_index, surface=False)
    return ratio_of_counts(per_image.boundary_intersection.sum(0), per_image.boundary_union.sum(0))


def fingerprint(images: Iterable[Any], masks: Iterable[Any], names: Sequence[str] | None = None) -> str:
    """A SHA-256 of test images and masks (and their names): equal only for the same test set."""
    digest = hashlib.sha256()
    for image, mask in zip(images, masks, strict=True):
        for arr in (np.ascontiguousarray(to_numpy(image), np.float32), np.ascontiguousarray(to_numpy(mask), np.int64)):
            digest.update(str(arr.shape).encode())
            digest.update(arr.tobytes())
    for name in names or ():
        digest.update(name.encode() + b"\0")
    return digest.hexdigest()


def surface_mean(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per class, the (weighted) mean over images of per-image surface figures (N, K): NaN
    images left out, inf kept (a class missed in one drawn image makes the mean inf).
    `weights` (R, N) gives R means at once, as the bootstrap draws images."""
    values = np.asarray(values, np.float64)
    weights = np.ones((1, len(values))) if weights is None else np.asarray(weights, np.float64)
    defined, infinite = ~np.isnan(values), np.isinf(values)
    counts = weights @ defined
    sums = weights @ np.where(defined & ~infinite, values, 0.0)
    means = np.where(counts > 0, sums / np.maximum(counts, 1e-300), np.nan)
    return np.where((weights @ infinite) > 0, np.inf, means)


def _json_floats(values: np.ndarray) -> list[Any]:
    """Floats as JSON allows them: NaN as null, inf as the string "inf"."""
    return [None if np.isnan(v) else ("inf" if np.isinf(v) else float(v)) for v in values]


def _from_json_floats(values: list[Any]) -> list[float]:
    return [np.nan if v is None else (np.inf if v == "inf" else float(v)) for v in values]


@dataclasses.dataclass
class PerImageMetrics:
    """Per-image figures from which every dataset metric follows: one confusion matrix, one
    pair of boundary-band intersection and union counts per class, and the surface
    distances (NSD, HD95, ASSD) per class, for each image.

    `summary()` gives the dataset's metrics; `summary(indices)` those of some of the images
    (`rows()`: each alone; `unetcheck.checks.regression` sums the counts of all its
    bootstrap resamples at once, with the same metric functions). `save` writes the artifact
    that `unetcheck verify` writes as `per_image.json`; `load` reads it back.
    """

    class_names: tuple[str, ...]
    names: list[str]
    confusion: np.ndarray  # (N, K, K) pixels by (true, predicted) class
    boundary_intersection: np.ndarray  # (N, K)
    boundary_union: np.ndarray  # (N, K)
    boundary_ratio: float = BOUNDARY_RATIO
    fingerprint: str | None = None
    surface: dict[str, np.ndarray] | None = None  # SURFACE_METRICS -> (N, K); None: not measured
    nsd_tolerance: float = NSD_TOLERANCE
    ignore_index: int | None = None

    def __len__(self) -> int:
        return len(self.names)

    def summary(self, indices: np.ndarray | None = None) -> dict[str, Any]:
        """Dataset metrics from the figures of all images, or of `indices` (with repeats)."""
        pick = slice(None) if indices is None else np.asarray(indices)
        confusion = self.confusion[pick].sum(0)
        boundary = ratio_of_counts(self.boundary_intersection[pick].sum(0), self.boundary_union[pick].sum(0))
        iou, dice = iou_per_class(confusion), dice_per_class(confusion)
        per_class = {"iou": iou, "dice": dice, "boundary_iou": boundary,
                     "precision": precision_per_class(confusion), "recall": recall_per_class(confusion)}
        overall = {"miou": nan_mean(iou), "mean_dice": nan_mean(dice), "mean_boundary_iou": nan_mean(boundary),
                   "pixel_accuracy": pixel_accuracy(confusion)}
        if self.surface is not None:
            for name in SURFACE_METRICS:
                per_class[name] = surface_mean(self.surface[name][pick])[0]
                overall[f"mean_{name}"] = nan_mean(per_class[name], keep_inf=True)
        return {
            **overall,
            **{metric: dict(zip(self.class_names, (float(v) for v in values))) for metric, values in per_class.items()},
            "confusion": confusion.tolist(),
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per image: its name and its own metrics (NaN where a class is absent)."""
        rows = []
        for i, name in enumerate(self.names):
            figures = self.summary(np.array([i]))
            rows.append({"image": name, **{k: v for k, v in figures.items() if k != "confusion"}})
        return rows

    def save(self, path: str | os.PathLike) -> str:
        """Writes the artifact as JSON (counts, not ratios: exact, and enough to resample;
        surface distances per image, NaN as null and inf as "inf")."""
        record = {
            "format": FORMAT,
            "class_names": list(self.class_names),
            "boundary_ratio": self.boundary_ratio,
            "nsd_tolerance": self.nsd_tolerance,
            "ignore_index": self.ignore_index,
            "fingerprint": self.fingerprint,
            "images": [
                {"image": name, "confusion": self.confusion[i].tolist(),
                 "boundary_intersection": self.boundary_intersection[i].tolist(),
                 "boundary_union": self.boundary_union[i].tolist(),
                 **({metric: _json_floats(self.surface[metric][i]) for metric in SURFACE_METRICS}
                    if self.surface is not None else {})}
                for i, name in enumerate(self.names)
            ],
        }
        with open(path, "w") as f:
            json.dump(record, f, indent=1)
        return os.fspath(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PerImageMetrics":
        """Reads an artifact `save` wrote (or a folder holding `per_image.json`).

        Raises:
          ValueError: a file that is not such an artifact, saying what it lacks.
        """
        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, "per_image.json")
        if not os.path.isfile(path):
            raise ValueError(f"no per-image metrics at {path!r} (unetcheck verify writes per_image.json)")
        with open(path) as f:
            try:
                record = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path!r} is not JSON: {err}") from None
        if not isinstance(record, dict) or record.get("format") not in _FORMATS:
            raise ValueError(f"{path!r} is not a per-image metrics file (format {FORMAT!r})")
        lacking = [key for key in ("class_names", "boundary_ratio", "images") if key not in record]
        lacking += sorted({key for row in record.get("images", []) for key in
                           ("image", "confusion", "boundary_intersection", "boundary_union") if key not in row})
        images = record.get("images", [])
        has_surface = bool(images) and all(metric in images[0] for metric in SURFACE_METRICS)
        if has_surface:
            lacking += sorted({metric for row in images for metric in SURFACE_METRICS if metric not in row})
        if lacking:
            raise ValueError(f"{path!r} lacks {', '.join(lacking)}: not a complete per-image metrics file")
        k = len(record["class_names"])
        surface = None
        if has_surface:
            surface = {metric: np.array([_from_json_floats(row[metric]) for row in images], np.float64).reshape(
                len(images), k) for metric in SURFACE_METRICS}
        return cls(
            class_names=tuple(record["class_names"]),
            names=[row["image"] for row in images],
            confusion=np.array([row["confusion"] for row in images], np.int64).reshape(len(images), k, k),
            boundary_intersection=np.array([row["boundary_intersection"] for row in images], np.int64),
            boundary_union=np.array([row["boundary_union"] for row in images], np.int64),
            boundary_ratio=float(record["boundary_ratio"]),
            fingerprint=record.get("fingerprint"),
            surface=surface,
            nsd_tolerance=float(record.get("nsd_tolerance", NSD_TOLERANCE)),
            ignore_index=record.get("ignore_index"),
        )


def per_image_metrics(y_true: Any, y_pred: Any, num_classes: int, names: Sequence[str] | None = None,
                      class_names: Sequence[str] | None = None, boundary_ratio: float = BOUNDARY_RATIO,
                      fingerprint: str | None = None, ignore_index: int | None = None,
                      nsd_tolerance: float = NSD_TOLERANCE, surface: bool = True) -> PerImageMetrics:
    """Per-image figures of (N, H, W) or (N, H, W, 1) label masks, any framework's arrays.

    Example:

    >>> import numpy as np
    >>> truth = np.zeros((2, 16, 16), int)
    >>> truth[:, 4:12, 4:12] = 1
    >>> metrics = per_image_metrics(truth, np.roll(truth, 1, axis=2), 2, class_names=("background", "pet"))
    >>> summary = metrics.summary()
    >>> round(summary["miou"], 3), summary["hd95"]["pet"], summary["nsd"]["pet"]
    (0.849, 1.0, 1.0)

    Args:
      y_true, y_pred: true and predicted class ids (argmax of the logits: `create_mask`).
      num_classes: number of classes.
      names: one name per image (default "0", "1", ...): matched across runs by `compare`.
      class_names: default "class_0", ...
      boundary_ratio: the boundary band's width as a share of the image diagonal.
      fingerprint: of the test set (`fingerprint`), so that runs on other data are refused.
      ignore_index: a true label (e.g. 255) whose pixels count for no metric.
      nsd_tolerance: the normalized surface Dice's tolerance, in pixels.
      surface: measure the surface distances (NSD, HD95, ASSD); False leaves them out.

    Raises:
      ValueError: shapes that differ, bad labels, or as many names as images.
    """
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred {y_pred.shape}")
    if y_true.ndim == 4 and y_true.shape[-1] == 1:
        y_true, y_pred = y_true[..., 0], y_pred[..., 0]
    if y_true.ndim != 3:
        raise ValueError(f"expected (N, H, W) or (N, H, W, 1) masks; got shape {y_true.shape}")
    names = [str(i) for i in range(len(y_true))] if names is None else [str(n) for n in names]
    if len(names) != len(y_true):
        raise ValueError(f"{len(names)} names for {len(y_true)} images")
    class_names = tuple(class_names) if class_names is not None else tuple(f"class_{c}" for c in range(num_classes))
    if len(class_names) != num_classes:
        raise ValueError(f"{len(class_names)} class names for {num_classes} classes")
    confusion = np.stack([confusion_matrix(t, p, num_classes, ignore_index) for t, p in zip(y_true, y_pred)])
    valid = [None if ignore_index is None else t != ignore_index for t in y_true]
    bands = [boundary_counts(t, p, num_classes, boundary_ratio, v) for t, p, v in zip(y_true, y_pred, valid)]
    distances = None
    if surface:
        each = [surface_metrics(t, p, num_classes, nsd_tolerance, v) for t, p, v in zip(y_true, y_pred, valid)]
        distances = {metric: np.stack([e[metric] for e in each]) for metric in SURFACE_METRICS}
    return PerImageMetrics(class_names, names, confusion, np.stack([b[0] for b in bands]),
                           np.stack([b[1] for b in bands]), boundary_ratio, fingerprint, distances, nsd_tolerance,
                           ignore_index)


def concatenate(parts: Sequence[PerImageMetrics]) -> PerImageMetrics:
    """One `PerImageMetrics` of several (batches of one test set, in order)."""
    first = parts[0]
    surface = None
    if all(p.surface is not None for p in parts):
        surface = {metric: np.concatenate([p.surface[metric] for p in parts]) for metric in SURFACE_METRICS}
    return PerImageMetrics(first.class_names, [n for p in parts for n in p.names],
                           np.concatenate([p.confusion for p in parts]),
                           np.concatenate([p.boundary_intersection for p in parts]),
                           np.concatenate([p.boundary_union for p in parts]), first.boundary_ratio, first.fingerprint,
                           surface, first.nsd_tolerance, first.ignore_index)
