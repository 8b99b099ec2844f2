"""Why a k-d tree, and why one pass, on one Cityscapes-sized image with 19 classes.

The exact ways to find each edge pixel's nearest edge pixel of the other mask, for every
class: a k-d tree of the other mask's edge points (SciPy's default balanced build, as
unetcheck uses it, or unbalanced), and SciPy's exact Euclidean distance transform restricted
to the bounding box of the class's edges in both masks (MONAI's kind of computation).
And boundary IoU's bands: unetcheck's one pass for all classes against each class's mask
less its iterated erosion."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import CASES
from unetcheck.metrics.surface import label_edges

CASE = next(c for c in CASES if c.name.startswith("cityscapes"))


def _edge_points(truth, pred, classes):
    edges_true, edges_pred = label_edges(truth.astype(np.int64)), label_edges(pred.astype(np.int64))
    return [
        (
            np.argwhere(edges_true & (truth == c)),
            np.argwhere(edges_pred & (pred == c)),
            edges_true & (truth == c),
            edges_pred & (pred == c),
        )
        for c in range(classes)
    ]


def _kd_tree(points, balanced):
    from scipy.spatial import cKDTree

    for a, b, _, _ in points:
        if len(a) and len(b):
            cKDTree(a, balanced_tree=balanced, compact_nodes=balanced).query(b)
            cKDTree(b, balanced_tree=balanced, compact_nodes=balanced).query(a)


def _distance_transform(points):
    from scipy import ndimage

    for a, b, edges_a, edges_b in points:
        if len(a) and len(b):
            both = np.concatenate([a, b])
            box = tuple(slice(lo, hi + 1) for lo, hi in zip(both.min(0), both.max(0)))
            ndimage.distance_transform_edt(~edges_a[box])[edges_b[box]]
            ndimage.distance_transform_edt(~edges_b[box])[edges_a[box]]


@pytest.mark.parametrize("method", ["k-d tree, balanced", "k-d tree, unbalanced", "distance transform, box"])
def bench_nearest_edge_methods(measure, case_data, method):
    truth, pred = case_data(CASE)
    points = _edge_points(truth[0], pred[0], CASE.classes)
    fn = {
        "k-d tree, unbalanced": lambda: _kd_tree(points, False),
        "k-d tree, balanced": lambda: _kd_tree(points, True),
        "distance transform, box": lambda: _distance_transform(points),
    }[method]
    measure(CASE, "nearest edge, one image", method, fn, rounds=3, memory=False, args=())


def _bands_by_erosion(truth, pred, classes):
    """Per class, each mask less its erosion by a square `width` times (SciPy), the band's
    textbook form."""
    from scipy import ndimage

    from unetcheck.metrics.boundary import boundary_width

    width = boundary_width(*truth.shape)
    square = np.ones((3, 3), bool)
    for c in range(classes):
        for mask in (truth == c, pred == c):
            mask & ~ndimage.binary_erosion(mask, square, iterations=width, border_value=0)


@pytest.mark.parametrize("method", ["one pass for all classes", "erosion per class"])
def bench_boundary_band_methods(measure, case_data, method):
    from unetcheck.metrics.boundary import boundary_counts

    truth, pred = (np.asarray(m[0], np.int64) for m in case_data(CASE))
    fn = {
        "one pass for all classes": lambda: boundary_counts(truth, pred, CASE.classes),
        "erosion per class": lambda: _bands_by_erosion(truth, pred, CASE.classes),
    }[method]
    measure(CASE, "boundary bands, one image", method, fn, rounds=3, memory=False, args=())
