"""Surface-distance metrics of one image's (or volume's) label masks: normalized surface Dice
(NSD), the 95th-percentile Hausdorff distance (HD95) and the average symmetric surface
distance (ASSD), as the Metrics Reloaded recommendations (Maier-Hein et al., Nature Methods
2024) name them for boundary quality. 2-D images and 3-D volumes alike, with a per-axis
`spacing` (pixel or voxel size): distances and the NSD tolerance are in its units.

Definitions, pinned to MONAI's (`compute_surface_dice`, `compute_hausdorff_distance`
with `percentile=95`, `compute_average_surface_distance` with `symmetric=True`, Euclidean
distance, `spacing`), which tests/metrics/test_surface.py checks against SciPy and the MONAI
example team against MONAI itself:

- a class's *edge* is its mask minus the mask's erosion by a cross (face connectivity:
  4 neighbours in 2-D, 6 in 3-D), the array's border counting as outside: a mask touching
  the border has an edge there;
- each edge pixel's distance is the Euclidean distance (axes scaled by `spacing`) to the
  nearest edge pixel of the other mask;
- NSD(tau) = (edge pixels of either mask within `tau` of the other's edge) / (edge pixels
  of both); HD95 = the larger of the two directed distance sets' 95th percentiles
  (linear interpolation); ASSD = the mean of both directed distance sets together.

Absent classes, where libraries disagree: a class absent from both masks is undefined
(NaN, left out of every mean, the rule of `metrics`), as in MONAI; a class in exactly one
of them scores NSD 0 and HD95 = ASSD = inf. MONAI agrees on NSD and ASSD but gives that
HD95 as NaN (a percentile of no distances), which a mean over classes would drop: a class
missed entirely is the worst boundary, not a missing figure.

How, in time linear in the image and near-linear in the edges (docs/performance.md,
"Surface distances", has the measurements behind the choice): every class's edges come
from one pass over the label map (a pixel is an edge pixel of its class where a face
neighbour has another label or lies outside), and each directed distance set is a
nearest-neighbour query in a k-d tree (SciPy's `cKDTree`) of the other mask's edge points.
Both are exact. Edge pixels that both masks share are at distance 0 and skip the query.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from unetcheck.metrics.scores import label_maps

#: The NSD tolerance where none is given (in `spacing` units; pixels by default): the
#: width of a trimap's border band.
NSD_TOLERANCE = 2.0
#: The Hausdorff percentile.
PERCENTILE = 95.0
#: The three figures per class, in the order `surface_metrics` gives them.
SURFACE_METRICS = ("nsd", "hd95", "assd")
#: What HD95 and ASSD are where a class is in one mask only: "skip" keeps inf, which the
#: dataset's means leave out (the images are counted as missed or invented instead);
#: "diagonal" charges the image's diagonal (in `spacing` units), the worst case Metrics
#: Reloaded suggests, so that every image counts in the means.
MISSING_DISTANCES = ("skip", "diagonal")


def check_spacing(spacing: Sequence[float] | None, ndim: int) -> np.ndarray:
    """`spacing` as a float64 vector of `ndim` positive sizes (ones where None).

    Raises:
      ValueError: a spacing of another length, or a size that is not a finite number > 0.
    """
    if spacing is None:
        return np.ones(ndim)
    values = np.asarray(spacing, np.float64).reshape(-1)
    if len(values) != ndim:
        raise ValueError(f"spacing has {len(values)} value(s) for {ndim}-D masks; give one per axis")
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"spacing must hold finite sizes > 0; got {tuple(values.tolist())}")
    return values


def label_edges(labels: np.ndarray) -> np.ndarray:
    """Where a label map's pixels lie on the edge of their own class: a face neighbour with
    another label, or the array's border. Negative labels (void) belong to no class and are
    never edge pixels, but their neighbours are."""
    edges = np.zeros(labels.shape, bool)
    for axis in range(labels.ndim):
        front = [slice(None)] * labels.ndim
        back = [slice(None)] * labels.ndim
        front[axis], back[axis] = slice(1, None), slice(None, -1)
        differs = labels[tuple(front)] != labels[tuple(back)]
        edges[tuple(front)] |= differs
        edges[tuple(back)] |= differs
        first, last = [slice(None)] * labels.ndim, [slice(None)] * labels.ndim
        first[axis], last[axis] = 0, -1
        edges[tuple(first)] = True
        edges[tuple(last)] = True
    return edges & (labels >= 0)


def mask_edges(mask: np.ndarray) -> np.ndarray:
    """The edge of a boolean mask of any dimension: its pixels with a face neighbour outside
    it or the array."""
    return label_edges(np.where(np.asarray(mask, bool), 0, -1))


#: A first, bounded search for each point's nearest neighbour: most edge points of a
#: prediction lie within a few pixels of the truth's, and a bounded search ends sooner; the
#: few farther points are searched again without a bound. Exact either way.
NEAR = 8.0


def _tree(points: np.ndarray):
    from scipy.spatial import cKDTree  # imported here: `import unetcheck.checks` stays NumPy-only

    # Unbalanced, uncompacted: built in half the time, queried as fast (docs/performance.md).
    return cKDTree(points, balanced_tree=False, compact_nodes=False)


def _nearest(points: np.ndarray, others: np.ndarray, free: np.ndarray | None = None) -> np.ndarray:
    """Each point's Euclidean distance to the nearest of `others`; 0 where `free` (a point
    the other set holds too), inf for all when `others` is empty."""
    if not len(others):
        return np.full(len(points), np.inf)
    distances = np.zeros(len(points))
    ask = np.ones(len(points), bool) if free is None else ~free
    if ask.any():
        tree = _tree(others)
        found = tree.query(points[ask], k=1, distance_upper_bound=NEAR)[0]
        far = np.isinf(found)
        if far.any():
            found[far] = tree.query(points[ask][far], k=1)[0]
        distances[ask] = found
    return distances


def _points(mask: np.ndarray) -> np.ndarray:
    """The coordinates of a boolean mask's True pixels, (count, ndim), in row-major order:
    `np.argwhere`'s, from the flat indices (a quarter of its time on a large image)."""
    return np.stack(np.unravel_index(np.flatnonzero(mask), mask.shape), axis=1)


def directed_distances(source: np.ndarray, target: np.ndarray, spacing: Sequence[float] | None = None) -> np.ndarray:
    """For each True pixel of `source` (row-major order), the Euclidean distance (axes scaled
    by `spacing`) to the nearest True pixel of `target`; inf for each when `target` has none."""
    source, target = np.asarray(source, bool), np.asarray(target, bool)
    scale = check_spacing(spacing, source.ndim)
    return _nearest(_points(source) * scale, _points(target) * scale, (source & target)[source])


def _by_class(
    labels: np.ndarray, edges: np.ndarray, shared: np.ndarray, num_classes: int, scale: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per class, its edge points (scaled) and which of them the other mask shares."""
    points = _points(edges) * scale
    classes, also = labels[edges], shared[edges]
    order = np.argsort(classes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(classes, minlength=num_classes))])
    points, also = points[order], also[order]
    return [(points[bounds[c] : bounds[c + 1]], also[bounds[c] : bounds[c + 1]]) for c in range(num_classes)]


def check_missing_distance(missing_distance: str) -> str:
    """`missing_distance` if it is one of `MISSING_DISTANCES`; else a ValueError naming them."""
    if missing_distance not in MISSING_DISTANCES:
        raise ValueError(f"missing_distance must be one of {MISSING_DISTANCES}; got {missing_distance!r}")
    return missing_distance


def surface_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    num_classes: int,
    tolerance: float = NSD_TOLERANCE,
    valid: np.ndarray | None = None,
    spacing: Sequence[float] | None = None,
    missing_distance: str = "skip",
) -> dict[str, np.ndarray]:
    """NSD, HD95 and ASSD per class of one image's (H, W) or volume's (D, H, W) integer
    label masks.

    Examples:
        >>> import numpy as np
        >>> truth = np.zeros((12, 12), int)
        >>> truth[3:9, 3:9] = 1
        >>> figures = surface_metrics(truth, np.roll(truth, 1, axis=1), 2, tolerance=1.0)  # one pixel off
        >>> [float(figures[name][1]) for name in ("nsd", "hd95", "assd")]
        [1.0, 1.0, 0.5]
        >>> coarse = surface_metrics(truth, np.roll(truth, 1, axis=1), 2, tolerance=1.0, spacing=(1.0, 3.0))
        >>> [float(coarse[name][1]) for name in ("nsd", "hd95", "assd")]  # columns 3 mm apart
        [0.6, 3.0, 1.2]

    Args:
      tolerance: NSD's tolerance, in `spacing` units.
      valid: booleans of the masks' shape, False at pixels to ignore (`ignore_index`): they
        belong to no class in either mask.
      spacing: the size of a pixel (voxel) along each axis; None: 1 (distances in pixels).
      missing_distance: HD95 and ASSD of a class in one mask only: "skip" (inf) or
        "diagonal" (the image's diagonal), see `MISSING_DISTANCES`.

    Returns:
      `{"nsd": (K,), "hd95": (K,), "assd": (K,)}`, NaN for a class absent from both masks.

    Raises:
      ValueError: masks of different shapes, labels outside [0, num_classes), a bad
        tolerance or spacing.
    """
    if tolerance < 0 or not np.isfinite(tolerance):
        raise ValueError(f"the NSD tolerance must be a finite distance >= 0; got {tolerance}")
    truth, pred = label_maps(y_true, y_pred, num_classes, valid)
    scale = check_spacing(spacing, truth.ndim)
    edges_true, edges_pred = label_edges(truth), label_edges(pred)
    shared = edges_true & edges_pred & (truth == pred)  # the same class's edge in both: distance 0
    true_points = _by_class(truth, edges_true, shared, num_classes, scale)
    pred_points = _by_class(pred, edges_pred, shared, num_classes, scale)
    out = {name: np.full(num_classes, np.nan) for name in SURFACE_METRICS}
    for c in range(num_classes):
        (points_true, shared_true), (points_pred, shared_pred) = true_points[c], pred_points[c]
        if not len(points_true) and not len(points_pred):
            continue
        to_true = _nearest(points_pred, points_true, shared_pred)
        to_pred = _nearest(points_true, points_pred, shared_true)
        both = np.concatenate([to_true, to_pred])
        out["nsd"][c] = float((both <= tolerance).sum()) / len(both)
        out["hd95"][c] = (
            max(float(np.percentile(d, PERCENTILE)) for d in (to_true, to_pred))
            if len(to_true) and len(to_pred)
            else np.inf
        )
        out["assd"][c] = float(both.mean())
    if check_missing_distance(missing_distance) == "diagonal":
        diagonal = float(np.sqrt(np.sum((np.array(truth.shape) * scale) ** 2)))
        for name in ("hd95", "assd"):
            out[name][np.isinf(out[name])] = diagonal
    return out
