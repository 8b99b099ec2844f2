"""Boundary IoU's bands (Cheng et al., "Boundary IoU: Improving Object-Centric Image
Segmentation Evaluation", CVPR 2021), for every class of a label map at once.

A class's band is its pixels within chessboard distance d of its contour, the array's edge
counting as contour (as in the authors' code): the mask minus its erosion by a cube of side
2d + 1. d = `boundary_ratio` x the array's diagonal in pixels (voxels), rounded, at least 1.
The band is a figure of the pixel grid, as the paper defines it: `spacing` does not enter.

A pixel of a label map lies in its class's band unless the whole cube around it lies inside
the array and holds its label only. That is separable: along each axis in turn, a pixel
keeps its interior status where the window of 2d + 1 pixels along that axis holds neither
another label nor a pixel that lost the status on an earlier axis, counted with cumulative
sums. The cost is linear in the pixels whatever d and the number of classes.
"""

from __future__ import annotations

import numpy as np

#: The boundary band's width as a share of the image diagonal (the paper's default).
BOUNDARY_RATIO = 0.02


def boundary_width(*shape: int, boundary_ratio: float = BOUNDARY_RATIO) -> int:
    """The band's width d in pixels: `boundary_ratio` x the diagonal of an array of `shape`,
    rounded, at least 1.

    >>> boundary_width(128, 128)  # 2% of 181 pixels
    4
    """
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"boundary_width takes the array's side lengths, boundary_ratio by keyword; got {shape}")
    return max(1, int(round(boundary_ratio * float(np.sqrt(np.sum(np.square(np.asarray(shape, np.float64))))))))


def _along(axis: int, ndim: int, part: slice) -> tuple[slice, ...]:
    index = [slice(None)] * ndim
    index[axis] = part
    return tuple(index)


def _prefix_sums(values: np.ndarray, axis: int) -> np.ndarray:
    """Cumulative sums along `axis` with a leading 0: entry k sums values[:k]."""
    padded = np.zeros(tuple(n + (a == axis) for a, n in enumerate(values.shape)), np.int32)
    np.cumsum(values, axis=axis, dtype=np.int32, out=padded[_along(axis, values.ndim, slice(1, None))])
    return padded


def interior(labels: np.ndarray, width: int) -> np.ndarray:
    """Where the cube of side 2 `width` + 1 around a pixel lies inside the array and holds
    that pixel's label only."""
    inside = np.ones(labels.shape, bool)
    for axis in range(labels.ndim):
        n, ndim = labels.shape[axis], labels.ndim
        if n <= 2 * width:
            return np.zeros(labels.shape, bool)
        # changes[j] = 1 where position j's label differs from position j - 1's; the window
        # [i - d, i + d] holds one label where no change falls at j in (i - d, i + d].
        changes = np.zeros(labels.shape, np.int8)
        changes[_along(axis, ndim, slice(1, None))] = (labels[_along(axis, ndim, slice(1, None))]
                                                       != labels[_along(axis, ndim, slice(None, -1))])
        changed, lost = _prefix_sums(changes, axis), _prefix_sums(~inside, axis)
        span = n - 2 * width  # the positions i in [d, n - d) whose window lies inside
        window_changes = (changed[_along(axis, ndim, slice(2 * width + 1, None))]
                          - changed[_along(axis, ndim, slice(1, 1 + span))])
        window_lost = (lost[_along(axis, ndim, slice(2 * width + 1, None))]
                       - lost[_along(axis, ndim, slice(0, span))])
        inside = np.zeros(labels.shape, bool)
        inside[_along(axis, ndim, slice(width, n - width))] = (window_changes == 0) & (window_lost == 0)
    return inside


def band_labels(labels: np.ndarray, width: int) -> np.ndarray:
    """The label map with every pixel outside its class's band set to -1 (negative labels,
    void, belong to no class and no band)."""
    return np.where((labels >= 0) & ~interior(labels, width), labels, -1)


def boundary_band(mask: np.ndarray, width: int) -> np.ndarray:
    """The pixels of a boolean mask within `width` pixels (chessboard distance) of its
    contour, the array's edge included."""
    return band_labels(np.where(np.asarray(mask, bool), 0, -1), width) == 0


def boundary_counts(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int,
                    boundary_ratio: float = BOUNDARY_RATIO, valid: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per class, the intersection and union of the two boundary bands of one image (or
    volume); pixels where `valid` is False belong to no class."""
    width = boundary_width(*np.shape(y_true), boundary_ratio=boundary_ratio)
    truth, pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    if valid is not None:
        truth, pred = np.where(valid, truth, -1), np.where(valid, pred, -1)
    bands_true, bands_pred = band_labels(truth, width), band_labels(pred, width)
    in_true, in_pred = bands_true >= 0, bands_pred >= 0
    both = in_true & in_pred & (bands_true == bands_pred)
    intersection = np.bincount(bands_true[both], minlength=num_classes)
    union = (np.bincount(bands_true[in_true], minlength=num_classes)
             + np.bincount(bands_pred[in_pred], minlength=num_classes) - intersection)
    return intersection.astype(np.int64), union.astype(np.int64)
