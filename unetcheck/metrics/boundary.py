"""Boundary IoU's bands (Cheng et al., "Boundary IoU: Improving Object-Centric Image
Segmentation Evaluation", CVPR 2021), for every class of a label map at once.

A class's band is its pixels within chessboard distance d of its contour, the array's edge
counting as contour (as in the authors' code): the mask minus its erosion by a cube of side
2d + 1. d = `boundary_ratio` x the array's diagonal in pixels (voxels), rounded, at least 1.
The band is a figure of the pixel grid, as the paper defines it: `spacing` does not enter.

A pixel of a label map lies in its class's band unless the whole cube around it lies inside
the array and holds its label only (`interior`): no pixel next to another label lies within
d - 1 of it, a dilation that costs time linear in the pixels whatever d and the number of
classes.
"""

from __future__ import annotations

import itertools

import numpy as np

from unetcheck.metrics.scores import label_maps

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


def next_to_another_label(labels: np.ndarray) -> np.ndarray:
    """Where a pixel has a neighbour of another label among the 3^n - 1 around it (8 in 2-D,
    26 in 3-D), inside the array."""
    out = np.zeros(labels.shape, bool)
    ndim = labels.ndim
    for offset in itertools.product((-1, 0, 1), repeat=ndim):
        if offset <= (0,) * ndim:  # each direction once: its opposite marks the other end
            continue
        here = tuple(slice(max(0, -o), n - max(0, o)) for o, n in zip(offset, labels.shape))
        there = tuple(slice(max(0, o), n - max(0, -o)) for o, n in zip(offset, labels.shape))
        differs = labels[here] != labels[there]
        out[here] |= differs
        out[there] |= differs
    return out


def _or_window(packed: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """The OR of each position's window of 2 `radius` + 1 along `axis` (zeros beyond the
    array), van Herk's way: blocks of the window's length, each with its running OR from the
    front and from the back; a window is the back-run of one block's position ORed with the
    front-run of the next's. Three passes whatever the radius."""
    moved = np.moveaxis(packed, axis, 0)
    n, size = len(moved), 2 * radius + 1
    padded = np.zeros((n + 2 * radius + (-(n + 2 * radius)) % size,) + moved.shape[1:], moved.dtype)
    padded[radius : radius + n] = moved
    blocks = padded.reshape((-1, size) + moved.shape[1:])
    front = np.bitwise_or.accumulate(blocks, axis=1).reshape(padded.shape)
    back = np.bitwise_or.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].reshape(padded.shape)
    return np.moveaxis(back[:n] | front[size - 1 : size - 1 + n], 0, axis)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """A boolean mask dilated by a cube of side 2 `radius` + 1 (chessboard distance <=
    `radius`), the array's outside empty: along the last axis by SciPy's maximum filter, along
    the others on the mask packed eight pixels to a byte, where an OR of bytes moves eight
    pixels at once (docs/performance.md, "Boundary IoU's bands")."""
    from scipy import ndimage  # imported here: `import unetcheck.checks` stays NumPy-only

    if radius < 1:
        return mask.copy()
    near = ndimage.maximum_filter1d(mask.view(np.uint8), 2 * radius + 1, axis=-1, mode="constant", cval=0)
    if mask.ndim == 1:
        return near.view(bool)
    packed = np.packbits(near.view(bool), axis=-1)
    for axis in range(mask.ndim - 1):
        packed = _or_window(packed, radius, axis)
    return np.unpackbits(packed, axis=-1, count=mask.shape[-1]).view(bool)


def interior(labels: np.ndarray, width: int) -> np.ndarray:
    """Where the cube of side 2 `width` + 1 around a pixel lies inside the array and holds
    that pixel's label only.

    The nearest pixel of another label lies at chessboard distance r = s + 1, where s is the
    distance to the nearest pixel next to another label (`next_to_another_label`): the
    pixels nearer than r all hold the label, the last of them is next to the other one. So
    the cube holds one label where no such pixel lies within `width` - 1: a dilation by a
    cube (`dilate`), linear in the pixels whatever the width.
    """
    if any(n <= 2 * width for n in labels.shape):
        return np.zeros(labels.shape, bool)
    inside = ~dilate(next_to_another_label(labels), width - 1)
    for axis in range(labels.ndim):  # the cube must lie inside the array
        inside[_along(axis, labels.ndim, slice(0, width))] = False
        inside[_along(axis, labels.ndim, slice(labels.shape[axis] - width, None))] = False
    return inside


def band_labels(labels: np.ndarray, width: int) -> np.ndarray:
    """The label map with every pixel outside its class's band set to -1 (negative labels,
    void, belong to no class and no band)."""
    return np.where((labels >= 0) & ~interior(labels, width), labels, -1)


def boundary_band(mask: np.ndarray, width: int) -> np.ndarray:
    """The pixels of a boolean mask within `width` pixels (chessboard distance) of its
    contour, the array's edge included."""
    return band_labels(np.where(np.asarray(mask, bool), 0, -1), width) == 0


def boundary_counts(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    num_classes: int,
    boundary_ratio: float = BOUNDARY_RATIO,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per class, the intersection and union of the two boundary bands of one image (or
    volume); pixels where `valid` is False belong to no class."""
    width = boundary_width(*np.shape(y_true), boundary_ratio=boundary_ratio)
    truth, pred = label_maps(y_true, y_pred, num_classes, valid)
    # Each pixel's (true band's class, predicted band's class), K for none, counted at once.
    k = num_classes
    bands_true, bands_pred = band_labels(truth, width), band_labels(pred, width)
    codes = np.where(bands_true >= 0, bands_true, k).astype(np.int64) * (k + 1)
    codes += np.where(bands_pred >= 0, bands_pred, k)
    pairs = np.bincount(codes.ravel(), minlength=(k + 1) ** 2).reshape(k + 1, k + 1)
    intersection = np.diagonal(pairs)[:k]
    union = pairs[:k].sum(1) + pairs[:, :k].sum(0) - intersection
    return intersection.astype(np.int64), union.astype(np.int64)
