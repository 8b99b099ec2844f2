"""The one list of metrics. Every place that names metrics reads it: the per-image artifact
(`per_image.json`), `PerImageMetrics.summary`, `compare` and `assert_no_regression`, the
main job's `metrics.json` and report, and `unetcheck evaluate`.

Two lists, in fact: `STATISTICS`, the per-image figures measured once and stored (counts
summed over images, or figures averaged over images), and `METRICS`, what is computed from
them for any set of images, with weights (R, N) giving R resamples at once. Adding a metric
is one `Metric` entry (plus a `Statistic` if it needs a new per-image figure, measured by
its group's entry in `MEASURES`) and its tests (`tests/metrics/test_registry.py` adds both).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np

from unetcheck.metrics.boundary import boundary_counts
from unetcheck.metrics.scores import (
    confusion_matrix,
    dice_per_class,
    iou_per_class,
    missed_per_class,
    nan_mean,
    pixel_accuracy,
    precision_per_class,
    ratio_of_counts,
    recall_per_class,
    surface_mean,
)
from unetcheck.metrics.surface import surface_metrics

#: The measurements an image gets, each filling the statistics of its group (`MEASURES`).
GROUPS = ("region", "boundary", "surface")


@dataclasses.dataclass(frozen=True)
class Statistic:
    """A per-image figure stored in `per_image.json`: per class (K,), or per pair of
    classes (K, K); integer counts (summed over images) or floats (NaN where undefined, inf
    allowed; averaged over the images where defined)."""

    name: str
    group: str
    pairs: bool = False
    counts: bool = True
    #: The `per_image.json` format that first holds it: a file of an earlier format that
    #: lists no statistics has it where its images do, and lacks it otherwise.
    since: int = 1


STATISTICS = (
    Statistic("confusion", "region", pairs=True),
    Statistic("boundary_intersection", "boundary"),
    Statistic("boundary_union", "boundary"),
    Statistic("nsd", "surface", counts=False, since=2),
    Statistic("hd95", "surface", counts=False, since=2),
    Statistic("assd", "surface", counts=False, since=2),
)
STATISTICS_BY_NAME = {s.name: s for s in STATISTICS}
#: Statistics pooled from others (`pool`), not stored: each with those it comes from.
DERIVED = {"missed": ("confusion",), "invented": ("confusion",)}


def _measure_region(truth: np.ndarray, pred: np.ndarray, settings: Any, valid: np.ndarray | None) -> dict:
    return {"confusion": confusion_matrix(truth, pred, settings.num_classes, settings.ignore_index)}


def _measure_boundary(truth: np.ndarray, pred: np.ndarray, settings: Any, valid: np.ndarray | None) -> dict:
    intersection, union = boundary_counts(truth, pred, settings.num_classes, settings.boundary_ratio, valid)
    return {"boundary_intersection": intersection, "boundary_union": union}


def _measure_surface(truth: np.ndarray, pred: np.ndarray, settings: Any, valid: np.ndarray | None) -> dict:
    return surface_metrics(
        truth, pred, settings.num_classes, settings.nsd_tolerance, valid, settings.spacing, settings.missing_distance
    )


#: How each group's statistics are measured on one image's masks: `measure(truth, pred,
#: settings, valid)` -> `{statistic: array}` (`settings`: `per_image.Settings`; `valid`: False
#: where the truth is void).
MEASURES: dict[str, Callable[..., dict[str, np.ndarray]]] = {
    "region": _measure_region,
    "boundary": _measure_boundary,
    "surface": _measure_surface,
}


@dataclasses.dataclass(frozen=True)
class Metric:
    """A metric from pooled statistics: per class (`per_class`, (R, K)) with an optional mean
    over classes named `mean`, or one figure per resample (`overall`, (R,))."""

    name: str
    label: str
    group: str
    #: The statistics it is computed from (stored, or `DERIVED`): where a run lacks one, the
    #: metric is left out of its figures, the others of its group kept.
    needs: tuple[str, ...]
    per_class: Callable[[Mapping[str, np.ndarray]], np.ndarray] | None = None
    overall: Callable[[Mapping[str, np.ndarray]], np.ndarray] | None = None
    mean: str | None = None
    distance: bool = False  # in `spacing` units (pixels by default), better when lower
    count: bool = False  # a number of images, better when lower

    @property
    def lower_is_better(self) -> bool:
        return self.distance or self.count


METRICS = (
    Metric("iou", "IoU", "region", ("confusion",), per_class=lambda s: iou_per_class(s["confusion"]), mean="miou"),
    Metric(
        "pixel_accuracy", "pixel accuracy", "region", ("confusion",), overall=lambda s: pixel_accuracy(s["confusion"])
    ),
    Metric(
        "dice", "Dice", "region", ("confusion",), per_class=lambda s: dice_per_class(s["confusion"]), mean="mean_dice"
    ),
    Metric(
        "boundary_iou",
        "boundary IoU",
        "boundary",
        ("boundary_intersection", "boundary_union"),
        mean="mean_boundary_iou",
        per_class=lambda s: ratio_of_counts(s["boundary_intersection"], s["boundary_union"]),
    ),
    Metric("precision", "precision", "region", ("confusion",), per_class=lambda s: precision_per_class(s["confusion"])),
    Metric("recall", "recall", "region", ("confusion",), per_class=lambda s: recall_per_class(s["confusion"])),
    Metric("nsd", "NSD", "surface", ("nsd",), per_class=lambda s: s["nsd"], mean="mean_nsd"),
    Metric("hd95", "HD95", "surface", ("hd95",), per_class=lambda s: s["hd95"], mean="mean_hd95", distance=True),
    Metric("assd", "ASSD", "surface", ("assd",), per_class=lambda s: s["assd"], mean="mean_assd", distance=True),
    Metric("missed", "missed", "region", ("missed",), per_class=lambda s: s["missed"], count=True),
    Metric("invented", "invented", "region", ("invented",), per_class=lambda s: s["invented"], count=True),
)


def groups_for(metrics: str | Sequence[str] | None) -> tuple[str, ...]:
    """The groups to measure for `metrics`: metric names (any key: "iou", "miou", "hd95") or
    group names ("region", "boundary", "surface"), a sequence or one comma-separated string;
    None: every group. The region group is always measured: it holds the confusion matrix
    every run reports.

    Examples:
        >>> groups_for("iou,hd95"), groups_for(["boundary"]), groups_for(None)
        (('region', 'surface'), ('region', 'boundary'), ('region', 'boundary', 'surface'))

    Raises:
      ValueError: a name that is no metric or group, with the names there are.
    """
    if metrics is None:
        return GROUPS
    names = [n.strip() for n in (metrics.split(",") if isinstance(metrics, str) else metrics)]
    keys = {key: m.group for m in METRICS for key in (m.name, m.mean) if key}
    unknown = [n for n in names if n not in GROUPS and n not in keys]
    if unknown or not names:
        raise ValueError(
            f"no metric or group named {unknown or names}: choose from the groups {list(GROUPS)} "
            f"or the metrics {sorted(keys)}"
        )
    wanted = {"region", *(n if n in GROUPS else keys[n] for n in names)}
    return tuple(g for g in GROUPS if g in wanted)


def computable(metric: Metric, statistics: Collection[str] | None) -> bool:
    """Whether `metric` follows from `statistics` (names of those a run holds; None: all)."""
    if statistics is None:
        return True
    held = set(statistics) | {d for d, sources in DERIVED.items() if all(s in statistics for s in sources)}
    return all(need in held for need in metric.needs)


def overall_keys(statistics: Collection[str] | None = None) -> list[str]:
    """The dataset-wide figures' keys, in the list's order (of those `statistics` give)."""
    return [m.mean or m.name for m in METRICS if (m.mean or m.overall) and computable(m, statistics)]


def per_class_metrics(statistics: Collection[str] | None = None) -> list[Metric]:
    """The metrics given per class, in the list's order (of those `statistics` give)."""
    return [m for m in METRICS if m.per_class is not None and computable(m, statistics)]


def distance_keys() -> set[str]:
    """Every key (per class or overall) whose figure is a distance: better when lower."""
    return {key for m in METRICS if m.distance for key in (m.name, m.mean) if key}


def count_keys() -> set[str]:
    """Every key whose figure is a number of images (a class missed or invented): better when lower."""
    return {key for m in METRICS if m.count for key in (m.name, m.mean) if key}


def lower_is_better(key: str) -> bool:
    """Whether a smaller figure of `key` (a metric's name or its mean's) is the better one:
    distances, and numbers of images where a class is missed or invented."""
    return key in distance_keys() or key in count_keys()


def groups_of(statistics: Mapping[str, Any]) -> tuple[str, ...]:
    """The groups measured: those some of whose statistics are present."""
    return tuple(g for g in GROUPS if any(s.name in statistics for s in STATISTICS if s.group == g))


def pool(statistics: Mapping[str, np.ndarray], weights: np.ndarray) -> dict[str, np.ndarray]:
    """Each statistic over the images weighted by each row of `weights` (R, N): counts
    summed, floats averaged where finite (`surface_mean`); and from the confusion matrices,
    the images where each class is missed and invented (`missed_per_class`)."""
    pooled = {}
    for name, values in statistics.items():
        stat = STATISTICS_BY_NAME[name]
        if stat.counts:
            flat = values.reshape(len(values), -1).astype(np.float64)
            pooled[name] = (weights @ flat).reshape((len(weights),) + values.shape[1:])
        else:
            pooled[name] = surface_mean(values, weights)
    if "confusion" in statistics:
        missed, invented = missed_per_class(statistics["confusion"])
        pooled["missed"], pooled["invented"] = weights @ missed, weights @ invented
    return pooled


def figures(
    statistics: Mapping[str, np.ndarray], weights: np.ndarray, class_names: tuple[str, ...]
) -> dict[tuple[str, str | None], np.ndarray]:
    """Every metric that `statistics` give, for each row of `weights` (R, N), keyed by
    (metric, class) and (overall key, None): dataset-wide figures first, then per class."""
    pooled = pool(statistics, weights)
    out: dict[tuple[str, str | None], np.ndarray] = {}
    per_class = {}
    for metric in METRICS:
        if not computable(metric, statistics):
            continue
        if metric.overall is not None:
            out[(metric.name, None)] = np.atleast_1d(metric.overall(pooled))
        if metric.per_class is not None:
            per_class[metric.name] = np.asarray(metric.per_class(pooled), np.float64).reshape(len(weights), -1)
            if metric.mean:
                out[(metric.mean, None)] = np.atleast_1d(nan_mean(per_class[metric.name]))
    for name, values in per_class.items():
        out.update({(name, c): values[:, i] for i, c in enumerate(class_names)})
    return out


def _by_key(key: str) -> Metric:
    for metric in METRICS:
        if key in (metric.name, metric.mean):
            return metric
    raise KeyError(f"no metric has the key {key!r}")


def label(key: str, spacing: Any = None) -> str:
    """A figure's name for a reader: "mean IoU", "HD95 (px)", "mean ASSD (mm)"...; distances
    carry their unit (px without a spacing, "units" with one)."""
    metric = _by_key(key)
    text = metric.label if key == metric.name else f"mean {metric.label}"
    if metric.distance:
        text += " (px)" if spacing is None else " (spacing units)"
    return text


def flat_figures(summary: Mapping[str, Any], statistics: Collection[str] | None = None) -> dict[str, Any]:
    """A summary's figures under the main job's `metrics.json` keys: each overall figure
    under its own key, each per-class metric as `NAME_per_class` (of those `statistics` give)."""
    out = {key: summary[key] for key in overall_keys(statistics)}
    out.update({f"{m.name}_per_class": summary[m.name] for m in per_class_metrics(statistics)})
    return out
