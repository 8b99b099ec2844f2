"""Per-image figures of a test set's label masks, from which every dataset metric follows,
and their artifact, `per_image.json`.

`per_image_metrics` measures arrays in memory, or a stream of batches (NumPy, `tf.data`, a
PyTorch `DataLoader`, any iterable of (truth, prediction) pairs) one batch at a time, in this
process, in `workers` processes, or on any `concurrent.futures.Executor`. Each image gets the
statistics of `unetcheck.metrics.registry.STATISTICS`; `PerImageMetrics.summary` and
`unetcheck.metrics.regression` compute the metrics of `registry.METRICS` from them.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import itertools
import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from unetcheck._core import add_to_digest, to_numpy
from unetcheck.errors import InputError
from unetcheck.metrics import _statistics as _stats
from unetcheck.metrics import registry, strict_json
from unetcheck.metrics.boundary import BOUNDARY_RATIO
from unetcheck.metrics.scores import as_labels
from unetcheck.metrics.streaming import check_workers, run_ordered
from unetcheck.metrics.surface import NSD_TOLERANCE, check_missing_distance, check_spacing

#: The per-image artifact's format tag; versions 1 (no surface distances, no
#: `ignore_index`), 2 (no spacing) and 3 (a fingerprint of another recipe, no
#: `missing_distance`) are read too.
FORMAT = "unetcheck.per_image/4"
_FORMATS = ("unetcheck.per_image/1", "unetcheck.per_image/2", "unetcheck.per_image/3", FORMAT)
#: How `fingerprint` digests a test set: its true masks (class ids as int64, with their
#: shape) and then its image names. The photos are not in it: the metrics see only masks,
#: and `unetcheck evaluate` has only masks.
FINGERPRINT_RECIPE = "truth-masks/1"
#: Images are handed to workers in tasks of at least this many pixels (or one image), so
#: that small images do not cost a task each.
TASK_PIXELS = 1 << 20


@dataclasses.dataclass(frozen=True)
class Settings:
    """How images are measured: what a worker needs besides the masks."""

    num_classes: int
    ignore_index: int | None = None
    boundary_ratio: float = BOUNDARY_RATIO
    nsd_tolerance: float = NSD_TOLERANCE
    spacing: tuple[float, ...] | None = None
    groups: tuple[str, ...] = registry.GROUPS
    missing_distance: str = "skip"
    class_names: tuple[str, ...] = ()

    @classmethod
    def create(
        cls,
        num_classes: Any,
        class_names: Sequence[str] | None = None,
        ignore_index: int | None = None,
        boundary_ratio: float = BOUNDARY_RATIO,
        nsd_tolerance: float | None = None,
        spacing: Sequence[float] | None = None,
        spatial_dims: int = 2,
        metrics: str | Sequence[str] | None = None,
        missing_distance: str = "skip",
    ) -> Settings:
        """The settings, every one checked: the one place `per_image_metrics`, `unetcheck
        evaluate` and its command line validate them.

        Raises:
          ValueError: the setting that is wrong, and what it may be.
        """
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"num_classes must be a whole number >= 1; got {num_classes!r}")
        names = tuple(class_names) if class_names else tuple(f"class_{c}" for c in range(num_classes))
        if len(names) != num_classes:
            raise ValueError(f"{len(names)} class names for {num_classes} classes")
        if spatial_dims not in (2, 3):
            raise ValueError(f"spatial_dims must be 2 (images) or 3 (volumes); got {spatial_dims}")
        scale = None if spacing is None else tuple(float(v) for v in check_spacing(spacing, spatial_dims))
        tolerance = NSD_TOLERANCE if nsd_tolerance is None else float(nsd_tolerance)
        if tolerance < 0 or not np.isfinite(tolerance):
            raise ValueError(f"the NSD tolerance must be a finite distance >= 0; got {tolerance}")
        return cls(
            int(num_classes),
            ignore_index,
            boundary_ratio,
            tolerance,
            scale,
            registry.groups_for(metrics),
            check_missing_distance(missing_distance),
            names,
        )


def measure_image(truth: np.ndarray, pred: np.ndarray, settings: Settings) -> dict[str, np.ndarray]:
    """The statistics of one image's (or volume's) integer label masks, of the settings'
    groups, each measured as `registry.MEASURES` says."""
    valid = None if settings.ignore_index is None else truth != settings.ignore_index
    stats: dict[str, np.ndarray] = {}
    for group in settings.groups:
        stats.update(registry.MEASURES[group](truth, pred, settings, valid))
    return stats


class Fingerprint:
    """The SHA-256 of a test set (`FINGERPRINT_RECIPE`): its true masks added one at a time,
    then its image names. Equal for the same masks, in the same order, under the same names,
    whoever measured them (`unetcheck verify`, `evaluate`, `per_image_metrics`)."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add_mask(self, mask: Any) -> None:
        """Adds one true mask (`mask_digest`)."""
        self.add_digest(mask_digest(mask))

    def add_digest(self, mask_digest: str) -> None:
        """Adds one true mask by its `mask_digest` (what a worker sends back)."""
        self._digest.update(mask_digest.encode())

    def add(self, image: Any, mask: Any) -> None:
        """Adds one example; only its mask is digested (the recipe holds no photos)."""
        self.add_mask(mask)

    def hexdigest(self, names: Sequence[str] | None = None) -> str:
        """The digest of the masks added so far and then `names`."""
        digest = self._digest.copy()
        for name in names or ():
            digest.update(name.encode() + b"\0")
        return digest.hexdigest()


def mask_digest(mask: Any) -> str:
    """One true mask's digest in `Fingerprint`'s recipe: its shape (a trailing axis of 1 left
    out) and class ids, in the smallest of uint8, uint16 and int64 that holds them: equal masks
    give equal bytes whatever type they were stored in, at a fraction of int64's cost."""
    labels = to_numpy(mask)
    if labels.ndim >= 3 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    low, high = (int(labels.min()), int(labels.max())) if labels.size else (0, 0)
    kind = np.uint8 if 0 <= low and high < 256 else np.uint16 if 0 <= low and high < 65536 else np.int64
    digest = hashlib.sha256()
    add_to_digest(digest, labels.astype(kind, copy=False))
    return digest.hexdigest()


def measure_images(
    task: tuple[Sequence[np.ndarray], Sequence[np.ndarray], list[str], Settings],
) -> tuple[dict[str, np.ndarray], list[str]]:
    """The statistics of a stack of images, stacked, and each true mask's `mask_digest`: a
    worker's task. A ValueError names the image it came from."""
    truth, pred, names, settings = task
    each = []
    for t, p, name in zip(truth, pred, names):
        try:
            each.append(measure_image(t, p, settings))
        except ValueError as err:
            raise ValueError(f"image {name!r}: {err}") from None
    return {key: np.stack([e[key] for e in each]) for key in each[0]}, [mask_digest(t) for t in truth]


@dataclasses.dataclass
class PerImageMetrics:
    """Each image's statistics (`registry.STATISTICS`: its confusion matrix, boundary-band
    counts and surface distances per class), and how they were measured.

    `summary()` gives the dataset's metrics; `summary(indices)` those of some of the images
    (`rows()`: each alone; `unetcheck.metrics.regression` pools all its bootstrap resamples
    at once, with the same `registry.figures`). `save` writes the artifact that `unetcheck
    verify` and `unetcheck evaluate` write as `per_image.json`; `load` reads it back.
    """

    class_names: tuple[str, ...]
    names: list[str]
    statistics: dict[str, np.ndarray]  # name -> (N, K) or (N, K, K)
    boundary_ratio: float = BOUNDARY_RATIO
    fingerprint: str | None = None
    nsd_tolerance: float = NSD_TOLERANCE
    ignore_index: int | None = None
    spacing: tuple[float, ...] | None = None  # None: pixels
    missing_distance: str = "skip"  # HD95 and ASSD where a class is in one mask only (`surface.MISSING_DISTANCES`)
    #: How `fingerprint` was made: `FINGERPRINT_RECIPE`, or None for a file of an earlier
    #: format (whose fingerprint covered other things and matches no other recipe).
    fingerprint_recipe: str | None = FINGERPRINT_RECIPE
    #: Where the predicted masks these figures measure lie on disk, if anywhere (a folder),
    #: and the true masks and photos beside them: what a report shows.
    sources: dict[str, str | None] = dataclasses.field(default_factory=dict)
    #: The seeds the predicting model was trained with, where the run records them
    #: (`{"training": 3, "data": 0}`: `unetcheck verify` does): what pairs runs for `compare`.
    seeds: dict[str, int | None] = dataclasses.field(default_factory=dict)
    #: The folder this artifact was saved to or loaded from: relative `sources` lie there.
    origin: str | None = dataclasses.field(default=None, compare=False, repr=False)

    def source_folder(self, kind: str) -> str | None:
        """The folder of `kind` ("truth", "pred" or "images") the run records, if it exists
        on this machine: a relative one beside the artifact."""
        folder = self.sources.get(kind)
        if folder and not os.path.isabs(folder) and self.origin is not None:
            folder = os.path.join(self.origin, folder)
        return folder if folder and os.path.isdir(folder) else None

    def __len__(self) -> int:
        return len(self.names)

    @property
    def groups(self) -> tuple[str, ...]:
        """The measurements these figures hold (`registry.GROUPS`)."""
        return registry.groups_of(self.statistics)

    @property
    def confusion(self) -> np.ndarray:
        """(N, K, K) pixels by (true, predicted) class."""
        return self.statistics["confusion"]

    @confusion.setter
    def confusion(self, value: np.ndarray) -> None:
        self.statistics["confusion"] = np.asarray(value)

    @property
    def boundary_intersection(self) -> np.ndarray:
        """(N, K) pixels in both boundary bands of a class."""
        return self.statistics["boundary_intersection"]

    @boundary_intersection.setter
    def boundary_intersection(self, value: np.ndarray) -> None:
        self.statistics["boundary_intersection"] = np.asarray(value)

    @property
    def boundary_union(self) -> np.ndarray:
        """(N, K) pixels in either boundary band of a class."""
        return self.statistics["boundary_union"]

    @boundary_union.setter
    def boundary_union(self, value: np.ndarray) -> None:
        self.statistics["boundary_union"] = np.asarray(value)

    @property
    def surface(self) -> dict[str, np.ndarray] | None:
        """{"nsd", "hd95", "assd"} -> (N, K), or None where not measured."""
        names = [s.name for s in registry.STATISTICS if s.group == "surface"]
        if not all(name in self.statistics for name in names):
            return None
        return {name: self.statistics[name] for name in names}

    def summary(self, indices: np.ndarray | None = None) -> dict[str, Any]:
        """Dataset metrics from the figures of all images, or of `indices` (with repeats):
        each overall figure, each per-class metric as {class: value}, and the confusion matrix."""
        weights = (
            np.ones((1, len(self)))
            if indices is None
            else np.bincount(np.asarray(indices), minlength=len(self))[None].astype(np.float64)
        )
        figures = registry.figures(self.statistics, weights, self.class_names)
        out: dict[str, Any] = {key: float(figures[(key, None)][0]) for key in registry.overall_keys(self.statistics)}
        for metric in registry.per_class_metrics(self.statistics):
            out[metric.name] = {c: float(figures[(metric.name, c)][0]) for c in self.class_names}
        confusion = registry.pool({"confusion": self.confusion}, weights)["confusion"][0]
        out["confusion"] = np.rint(confusion).astype(np.int64).tolist()  # whole counts, summed in float64
        return out

    def intervals(
        self, resamples: int = _stats.RESAMPLES, level: float = _stats.LEVEL, seed: int = 0
    ) -> dict[str, Any]:
        """Each summary figure's percentile bootstrap interval over the images (`resamples`
        resamples of the test images, seeded, drawn as `unetcheck compare` draws them):
        `{overall key: [low, high], per-class metric: {class: [low, high]}}`, NaN where a
        figure is undefined in every resample.

        Examples:
            >>> import numpy as np
            >>> truth = np.random.default_rng(0).integers(0, 2, (30, 8, 8))
            >>> pred = np.where(np.random.default_rng(1).uniform(size=truth.shape) < 0.2, 1 - truth, truth)
            >>> metrics = per_image_metrics(truth, pred, 2)
            >>> low, high = metrics.intervals()["miou"]
            >>> bool(low < metrics.summary()["miou"] < high)
            True
        """
        if not 0 < level < 1 or resamples < 100:
            raise ValueError(f"level must lie in (0, 1) and resamples be at least 100; got {level}, {resamples}")
        weights = _stats.bootstrap_weights(len(self), resamples, np.random.default_rng(seed))
        figures = registry.figures(self.statistics, weights, self.class_names)
        tail = (1 - level) / 2

        def bounds(values: np.ndarray) -> list[float]:
            if np.isnan(values).all():
                return [np.nan, np.nan]
            return [float(v) for v in np.nanquantile(values, [tail, 1 - tail])]

        out: dict[str, Any] = {key: bounds(figures[(key, None)]) for key in registry.overall_keys(self.statistics)}
        for metric in registry.per_class_metrics(self.statistics):
            out[metric.name] = {c: bounds(figures[(metric.name, c)]) for c in self.class_names}
        return out

    def figures_per_image(self, chunk: int = 256) -> dict[tuple[str, str | None], np.ndarray]:
        """Every figure of each image alone, (N,) per (metric, class) and (overall key, None)
        as `registry.figures` keys them: the images taken `chunk` at a time, each a
        "resample" of one image."""
        parts = []
        for start in range(0, len(self), chunk):
            count = min(chunk, len(self) - start)
            weights = np.zeros((count, len(self)))
            weights[np.arange(count), start + np.arange(count)] = 1.0
            parts.append(registry.figures(self.statistics, weights, self.class_names))
        return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}

    def rows(self) -> list[dict[str, Any]]:
        """One row per image: its name and its own metrics (NaN where a class is absent)."""
        figures = self.figures_per_image()
        overall = registry.overall_keys(self.statistics)
        per_class = registry.per_class_metrics(self.statistics)
        return [
            {
                "image": name,
                **{key: float(figures[(key, None)][i]) for key in overall},
                **{m.name: {c: float(figures[(m.name, c)][i]) for c in self.class_names} for m in per_class},
            }
            for i, name in enumerate(self.names)
        ]

    def save(self, path: str | os.PathLike) -> str:
        """Writes the artifact as JSON (counts, not ratios: exact, and enough to resample;
        float statistics per image, NaN as null and inf as "inf")."""
        stats = [s for s in registry.STATISTICS if s.name in self.statistics]

        def value(stat: registry.Statistic, i: int) -> Any:
            values = self.statistics[stat.name][i]
            return values.tolist() if stat.counts else strict_json.plain(values)

        record = {
            "format": FORMAT,
            "class_names": list(self.class_names),
            "boundary_ratio": self.boundary_ratio,
            "nsd_tolerance": self.nsd_tolerance,
            "ignore_index": self.ignore_index,
            "spacing": None if self.spacing is None else list(self.spacing),
            "missing_distance": self.missing_distance,
            "fingerprint": self.fingerprint,
            "fingerprint_recipe": self.fingerprint_recipe,
            "sources": self.sources,
            "seeds": self.seeds,
            "statistics": [s.name for s in stats],
            "images": [{"image": name, **{s.name: value(s, i) for s in stats}} for i, name in enumerate(self.names)],
        }
        self.origin = os.path.dirname(os.path.abspath(path))
        return strict_json.dump(record, path, indent=1)

    @classmethod
    def load(cls, path: str | os.PathLike) -> PerImageMetrics:
        """Reads an artifact `save` wrote (or a folder holding `per_image.json`), of any format.

        Raises:
          ValueError: a file that is not such an artifact, saying what it lacks.
        """
        path, record = _read_record(path)
        images = record.get("images", [])
        if "statistics" in record:
            unknown = [name for name in record["statistics"] if name not in registry.STATISTICS_BY_NAME]
            if unknown:
                raise InputError(f"{path!r} holds statistics this unetcheck does not know: {unknown}")
            names = list(record["statistics"])
        else:  # formats 1 and 2: those of format 1, and the later ones where the first image has them
            names = [s.name for s in registry.STATISTICS if s.since == 1 or (images and s.name in images[0])]
        lacking = [key for key in ("class_names", "boundary_ratio", "images") if key not in record]
        lacking += sorted({key for row in images for key in ("image", *names) if key not in row})
        if lacking:
            raise InputError(f"{path!r} lacks {', '.join(lacking)}: not a complete per-image metrics file")
        k, n = len(record["class_names"]), len(images)
        statistics = {}
        for name in names:
            stat = registry.STATISTICS_BY_NAME[name]
            shape = (n, k, k) if stat.pairs else (n, k)
            values = (
                [row[name] for row in images]
                if stat.counts
                else [[strict_json.as_float(v) for v in row[name]] for row in images]
            )
            statistics[name] = np.array(values, np.int64 if stat.counts else np.float64).reshape(shape)
        spacing = record.get("spacing")
        return cls(
            class_names=tuple(record["class_names"]),
            names=[row["image"] for row in images],
            statistics=statistics,
            boundary_ratio=float(record["boundary_ratio"]),
            fingerprint=record.get("fingerprint"),
            nsd_tolerance=float(record.get("nsd_tolerance", NSD_TOLERANCE)),
            ignore_index=record.get("ignore_index"),
            spacing=None if spacing is None else tuple(float(v) for v in spacing),
            missing_distance=record.get("missing_distance", "skip"),
            fingerprint_recipe=record.get("fingerprint_recipe"),
            sources=dict(record.get("sources") or {}),
            seeds=dict(record.get("seeds") or {}),
            origin=os.path.dirname(os.path.abspath(path)),
        )


def _read_record(path: str | os.PathLike) -> tuple[str, dict[str, Any]]:
    """(the file's path, its JSON object) of an artifact or of the folder holding one."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "per_image.json")
    if not os.path.isfile(path):
        raise InputError(f"no per-image metrics at {path!r} (unetcheck verify and evaluate write per_image.json)")
    with open(path) as f:
        try:
            record = json.load(f)
        except json.JSONDecodeError as err:
            raise InputError(f"{path!r} is not JSON: {err}") from None
    if not isinstance(record, dict) or record.get("format") not in _FORMATS:
        raise InputError(f"{path!r} is not a per-image metrics file (format {FORMAT!r})")
    return path, record


def concatenate(parts: Sequence[PerImageMetrics]) -> PerImageMetrics:
    """One `PerImageMetrics` of several (batches of one test set, in order)."""
    first = parts[0]
    shared = [name for name in first.statistics if all(name in p.statistics for p in parts)]
    return dataclasses.replace(
        first,
        names=[n for p in parts for n in p.names],
        statistics={name: np.concatenate([p.statistics[name] for p in parts]) for name in shared},
    )


def _batch_shape(
    truth: np.ndarray, pred: np.ndarray, spatial_dims: int, one_image_allowed: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(N, *spatial) masks from (N, *spatial), (N, *spatial, 1) or, in a stream, one image."""
    if truth.shape != pred.shape:
        raise ValueError(f"y_true has shape {truth.shape} but y_pred {pred.shape}")
    if one_image_allowed and truth.ndim == spatial_dims:
        return truth[None], pred[None]
    if truth.ndim == spatial_dims + 2 and truth.shape[-1] == 1:
        return truth[..., 0], pred[..., 0]
    if truth.ndim == spatial_dims + 1:
        if one_image_allowed and truth.shape[-1] == 1:
            raise ValueError(
                f"masks of shape {truth.shape} in a stream are ambiguous: one image with a channel "
                f"axis, or a batch of {truth.shape[0]} masks {truth.shape[1]} pixels wide? give (N, H, W)"
            )
        return truth, pred
    axes = "(N, D, H, W)" if spatial_dims == 3 else "(N, H, W)"
    raise ValueError(f"expected {spatial_dims}-D masks, {axes} or with a trailing axis of 1; got shape {truth.shape}")


def _smallest_int(labels: np.ndarray) -> np.ndarray:
    """The labels in the smallest integer type that holds them (what a task ships)."""
    if not labels.size:
        return labels
    return labels.astype(np.result_type(np.min_scalar_type(int(labels.min())), np.min_scalar_type(int(labels.max()))))


def _stream(y_true: Any, y_pred: Any) -> Iterator[tuple[Any, Any, Any]]:
    """(truth, pred, names or None) per batch: the arrays as one batch, or each item of a stream."""
    if y_pred is not None:
        yield y_true, y_pred, None
        return
    if isinstance(y_true, (np.ndarray, str, bytes)) or not isinstance(y_true, Iterable):
        raise ValueError(
            f"without y_pred, y_true must be an iterable of (truth, prediction) batches; got {type(y_true).__name__}"
        )
    for i, item in enumerate(y_true):
        if (
            isinstance(item, (dict, str))
            or hasattr(item, "shape")
            or not hasattr(item, "__len__")
            or len(item) not in (2, 3)
        ):
            raise ValueError(
                f"batch {i} of the stream is a {type(item).__name__}; each must be a (truth, "
                "prediction) pair or a (truth, prediction, names) triple"
            )
        yield item[0], item[1], (item[2] if len(item) == 3 else None)


def _tasks(
    y_true: Any, y_pred: Any, names: Iterable[str] | None, settings: Settings, spatial_dims: int, counted: list[str]
) -> Iterator[tuple[np.ndarray, np.ndarray, list[str], Settings]]:
    """The workers' tasks, batch by batch; the images' names are appended to `counted`."""
    given = None if names is None else iter(names)
    for truth, pred, batch_names in _stream(y_true, y_pred):
        truth, pred = _batch_shape(
            as_labels(truth, "y_true"), as_labels(pred, "y_pred"), spatial_dims, one_image_allowed=y_pred is None
        )
        count = len(truth)
        if batch_names is not None:
            batch_names = [n.decode() if isinstance(n, bytes) else str(n) for n in np.asarray(batch_names).ravel()]
        elif given is not None:
            batch_names = [str(n) for n in itertools.islice(given, count)]
        else:
            batch_names = [str(len(counted) + i) for i in range(count)]
        if len(batch_names) != count:
            raise ValueError(f"{len(counted) + len(batch_names)} names for at least {len(counted) + count} images")
        counted.extend(batch_names)
        step = max(1, TASK_PIXELS // max(1, math.prod(truth.shape[1:])))
        for start in range(0, count, step):
            piece = slice(start, start + step)
            yield _smallest_int(truth[piece]), _smallest_int(pred[piece]), batch_names[piece], settings


def per_image_metrics(
    y_true: Any,
    y_pred: Any = None,
    num_classes: int | None = None,
    names: Iterable[str] | None = None,
    class_names: Sequence[str] | None = None,
    boundary_ratio: float = BOUNDARY_RATIO,
    fingerprint: str | None = None,
    ignore_index: int | None = None,
    nsd_tolerance: float = NSD_TOLERANCE,
    surface: bool = True,
    spacing: Sequence[float] | None = None,
    spatial_dims: int | None = None,
    workers: int = 1,
    executor: concurrent.futures.Executor | None = None,
    metrics: str | Sequence[str] | None = None,
    missing_distance: str = "skip",
) -> PerImageMetrics:
    """Per-image figures of label masks, any framework's arrays, in memory or streamed.

    Examples:
        >>> import numpy as np
        >>> truth = np.zeros((2, 16, 16), int)
        >>> truth[:, 4:12, 4:12] = 1
        >>> metrics = per_image_metrics(truth, np.roll(truth, 1, axis=2), 2, class_names=("background", "pet"))
        >>> summary = metrics.summary()
        >>> round(summary["miou"], 3), summary["hd95"]["pet"], summary["nsd"]["pet"]
        (0.849, 1.0, 1.0)
        >>> batches = ((truth[i:i + 1], np.roll(truth, 1, axis=2)[i:i + 1]) for i in range(2))  # a stream
        >>> per_image_metrics(batches, num_classes=2, class_names=("background", "pet")).summary() == summary
        True

    Args:
      y_true: the true class ids, (N, H, W) or (N, H, W, 1); volumes (N, D, H, W[, 1]) with
        `spatial_dims=3`; or, with `y_pred` None, a stream (below).
      y_pred: the predicted class ids (argmax of the logits: `create_mask`), shaped as
        `y_true`; or None, `y_true` then a stream: an iterable of (truth, prediction) pairs
        or (truth, prediction, names) triples, each a batch or one image (`tf.data`, a
        PyTorch `DataLoader`, a generator), read one batch at a time.
      num_classes: number of classes (by keyword with a stream).
      names: one name per image (default "0", "1", ...): matched across runs by `compare`.
      class_names: default "class_0", ...
      boundary_ratio: the boundary band's width as a share of the image diagonal.
      fingerprint: of the test set, so that runs on other data are refused. Default: made
        from the true masks and the names (`FINGERPRINT_RECIPE`), as every run of unetcheck
        makes it; one given here is compared only with fingerprints given the same way.
      ignore_index: a true label (e.g. 255) whose pixels count for no metric.
      nsd_tolerance: the normalized surface Dice's tolerance, in `spacing` units.
      surface: measure the surface distances (NSD, HD95, ASSD); False leaves them out.
      metrics: which to measure: metric or group names (`registry.groups_for`: "iou,dice",
        "region", ["iou", "hd95"]); the groups they need are measured and every metric of
        those groups reported. None: all (less the surface group where `surface` is False).
      missing_distance: HD95 and ASSD of a class in one mask only (`surface.MISSING_DISTANCES`):
        "skip" leaves the image out of the class's mean and counts it as missed or
        invented; "diagonal" charges the image's diagonal.
      spacing: a pixel's (voxel's) size per axis, e.g. (2.5, 0.8, 0.8) mm: surface
        distances and the NSD tolerance are in its units. Default: pixels.
      spatial_dims: 2 (images) or 3 (volumes); default: `len(spacing)`, else 2.
      workers: processes that measure images in parallel (1: this process). They fork
        where that is safe, else spawn (`streaming.start_method`); a script that passes
        more than 1 keeps its top level under `if __name__ == "__main__":`, as spawn asks.
      executor: a `concurrent.futures.Executor` that measures them instead (a Dask
        distributed client's `get_executor()` for a cluster); `workers` then bounds the
        batches in flight, two per worker.

    Raises:
      ValueError: shapes that differ, bad labels (naming the image), as many names as
        images, or bad settings.
    """
    if num_classes is None:
        if isinstance(y_pred, int) and not isinstance(y_pred, bool):
            raise ValueError(
                "with a stream of batches, give the number of classes by keyword: "
                f"per_image_metrics(batches, num_classes={y_pred})"
            )
        raise ValueError("num_classes is required")
    check_workers(workers)
    if spatial_dims is None:
        spatial_dims = 2 if spacing is None else len(tuple(spacing))
    settings = Settings.create(
        num_classes,
        class_names,
        ignore_index,
        boundary_ratio,
        nsd_tolerance,
        spacing,
        spatial_dims,
        metrics,
        missing_distance,
    )
    if not surface:
        settings = dataclasses.replace(settings, groups=tuple(g for g in settings.groups if g != "surface"))
    if names is not None and not isinstance(names, (str, bytes)):
        names = list(names) if not isinstance(names, Iterator) else names
    counted: list[str] = []
    parts = list(
        run_ordered(measure_images, _tasks(y_true, y_pred, names, settings, spatial_dims, counted), workers, executor)
    )
    if isinstance(names, list) and len(names) != len(counted):
        raise ValueError(f"{len(names)} names for {len(counted)} images")
    if not parts:
        raise ValueError("no images to measure: the stream was empty")
    return from_parts(parts, counted, settings, fingerprint)


def from_parts(
    parts: Sequence[tuple[dict[str, np.ndarray], list[str]]],
    names: list[str],
    settings: Settings,
    fingerprint: str | None = None,
) -> PerImageMetrics:
    """The `PerImageMetrics` of the workers' results (`measure_images`), in order; the test
    set's fingerprint made from their digests unless one is given."""
    recipe = FINGERPRINT_RECIPE
    if fingerprint is None:
        digest = Fingerprint()
        for _, digests in parts:
            for one in digests:
                digest.add_digest(one)
        fingerprint = digest.hexdigest(names)
    else:
        recipe = "given"
    statistics = {key: np.concatenate([p[0][key] for p in parts]) for key in parts[0][0]}
    return PerImageMetrics(
        settings.class_names,
        names,
        statistics,
        settings.boundary_ratio,
        fingerprint,
        settings.nsd_tolerance,
        settings.ignore_index,
        settings.spacing,
        settings.missing_distance,
        recipe,
    )
