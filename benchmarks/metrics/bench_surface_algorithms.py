"""Why a k-d tree: the exact ways to find each edge pixel's nearest edge pixel of the other
mask, on the Cityscapes-sized case, for every class of one image: a k-d tree of the other
mask's edge points (balanced, as SciPy builds it by default, or not, as unetcheck builds it),
and SciPy's exact Euclidean distance transform restricted to the bounding box of the class's
edges in both masks (what MONAI computes on the whole image)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CASES

from unetcheck.checks.surface import label_edges

CASE = next(c for c in CASES if c.name.startswith("cityscapes"))


def _edge_points(truth, pred, classes):
    edges_true, edges_pred = label_edges(truth.astype(np.int64)), label_edges(pred.astype(np.int64))
    return [(np.argwhere(edges_true & (truth == c)), np.argwhere(edges_pred & (pred == c)),
             edges_true & (truth == c), edges_pred & (pred == c)) for c in range(classes)]


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


@pytest.mark.parametrize("method", ["k-d tree, unbalanced", "k-d tree, balanced", "distance transform, box"])
def bench_nearest_edge_methods(measure, case_data, method):
    truth, pred = case_data(CASE)
    points = _edge_points(truth[0], pred[0], CASE.classes)
    fn = {"k-d tree, unbalanced": lambda: _kd_tree(points, False), "k-d tree, balanced": lambda: _kd_tree(points, True),
          "distance transform, box": lambda: _distance_transform(points)}[method]
    measure(CASE, "nearest edge, one image", method, fn, rounds=3, memory=False, args=())
