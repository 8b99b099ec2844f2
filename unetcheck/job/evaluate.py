"""`unetcheck evaluate TRUTH PRED`: the per-image metrics of predicted masks a team already has
on disk, in `workers` processes, written as `per_image.json` (what `unetcheck compare` reads)
and `summary.json`.

Workers read the files themselves, so the main process holds no mask: memory stays that of a
few images per worker however large the test set.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from unetcheck.errors import InputError
from unetcheck.job.masks_on_disk import Pair, match, read_header, read_mask, spatial
from unetcheck.metrics import registry, strict_json
from unetcheck.metrics.boundary import BOUNDARY_RATIO
from unetcheck.metrics.per_image import TASK_PIXELS, PerImageMetrics, Settings, from_parts, measure_images
from unetcheck.metrics.streaming import run_ordered, worker_pool


def measure_files(task: tuple[list[Pair], Settings]) -> tuple[dict[str, np.ndarray], list[str]]:
    """A worker's task: reads each pair and measures it (`measure_images`: the statistics and
    each truth's digest)."""
    pairs, settings = task
    truths, preds = [], []
    for pair in pairs:
        masks = []
        for path in (pair.truth, pair.pred):
            try:
                labels = read_mask(path)
            except ValueError as err:
                raise InputError(f"{path}: {err}") from None
            masks.append(labels.reshape(spatial(labels.shape)))
        truths.append(masks[0])
        preds.append(masks[1])
    try:
        return measure_images((truths, preds, [p.name for p in pairs], settings))
    except ValueError as err:
        raise InputError(str(err)) from None


def _tasks(pairs: list[Pair], settings: Settings, pixels: int) -> Iterator[tuple[list[Pair], Settings]]:
    step = max(1, TASK_PIXELS // max(1, pixels))
    for start in range(0, len(pairs), step):
        yield pairs[start : start + step], settings


def evaluate_folders(
    truth_dir: str,
    pred_dir: str,
    num_classes: int,
    class_names: Sequence[str] | None = None,
    ignore_index: int | None = None,
    spacing: Sequence[float] | None = None,
    nsd_tolerance: float | None = None,
    workers: int = 1,
    executor: concurrent.futures.Executor | None = None,
    progress: bool | None = None,
    metrics: str | Sequence[str] | None = None,
    missing_distance: str = "skip",
    images_dir: str | None = None,
) -> PerImageMetrics:
    """Per-image metrics of the masks in `pred_dir` against those in `truth_dir`, matched by name.

    The fingerprint covers the truths and names (`per_image.FINGERPRINT_RECIPE`, as `verify`
    makes it), so `compare` refuses runs on other test data. The folders (and `images_dir`,
    photos of the same names for a report to draw on) are recorded as the run's `sources`.

    Raises:
      InputError: unmatched, unreadable or mis-sized files (all named at once), labels
        outside the classes (naming the image), bad settings.
    """
    from tqdm import tqdm

    pairs, ndim, chosen = match(truth_dir, pred_dir, spacing)
    try:
        settings = Settings.create(
            num_classes,
            class_names,
            ignore_index,
            BOUNDARY_RATIO,
            nsd_tolerance,
            chosen,
            ndim,
            metrics,
            missing_distance,
        )
    except ValueError as err:
        raise InputError(str(err)) from None
    pixels = int(np.prod(spatial(read_header(pairs[0].truth)[0])))
    parts = []
    # The workers start before the progress bar's thread, so that they may fork (`start_method`).
    with (
        worker_pool(workers if executor is None else 1) as pool,
        tqdm(
            total=len(pairs), unit="image", disable=None if progress is None else not progress, delay=2, desc="evaluate"
        ) as bar,
    ):
        for part in run_ordered(
            measure_files, _tasks(pairs, settings, pixels), workers, executor if executor is not None else pool
        ):
            parts.append(part)
            bar.update(len(part[1]))
    result = from_parts(parts, [p.name for p in pairs], settings)
    result.sources = {
        "truth": os.path.abspath(truth_dir),
        "pred": os.path.abspath(pred_dir),
        "images": None if images_dir is None else os.path.abspath(images_dir),
    }
    return result


def summary_record(
    per_image: PerImageMetrics, intervals: dict[str, Any] | None = None, interval_settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`summary.json`: the dataset's figures (the main job's `metrics.json` keys), their
    intervals where computed (`PerImageMetrics.intervals`), and how they were measured."""
    summary = per_image.summary()
    record = {
        "images": len(per_image),
        **registry.flat_figures(summary, per_image.statistics),
        "confusion": summary["confusion"],
        "class_names": list(per_image.class_names),
        "groups": list(per_image.groups),
        "boundary_ratio": per_image.boundary_ratio,
        "nsd_tolerance": per_image.nsd_tolerance,
        "ignore_index": per_image.ignore_index,
        "spacing": None if per_image.spacing is None else list(per_image.spacing),
        "missing_distance": per_image.missing_distance,
        "fingerprint": per_image.fingerprint,
        "fingerprint_recipe": per_image.fingerprint_recipe,
        "sources": per_image.sources,
    }
    if intervals is not None:
        record["intervals"] = {
            **(interval_settings or {}),
            "figures": registry.flat_figures(intervals, per_image.statistics),
        }
    return record


def _value(value: float, metric: registry.Metric | None = None) -> str:
    return f"{value:.0f}" if metric is not None and metric.count else f"{value:.4f}"


def format_summary(per_image: PerImageMetrics, intervals: dict[str, Any] | None = None) -> str:
    """The dataset's figures as a terminal table: overall (with their intervals), then per class."""
    summary = per_image.summary()
    lines = [
        f"{len(per_image)} images, {len(per_image.class_names)} classes"
        + ("" if per_image.spacing is None else f", spacing {per_image.spacing}")
    ]
    for key in registry.overall_keys(per_image.statistics):
        low_high = "" if intervals is None else "  [{:.4f}, {:.4f}]".format(*intervals[key])
        lines.append(f"  {registry.label(key, per_image.spacing):<24} {summary[key]:.4f}{low_high}")
    metrics = registry.per_class_metrics(per_image.statistics)
    headings = [registry.label(m.name, per_image.spacing) for m in metrics]
    widths = [max(8, len(h)) for h in headings]
    width = max(8, *(len(c) for c in per_image.class_names))
    header = f"{'class':<{width}} " + " ".join(f"{h:>{w}}" for h, w in zip(headings, widths))
    lines += ["", header, "-" * len(header)]
    for c in per_image.class_names:
        lines.append(
            f"{c:<{width}} " + " ".join(f"{_value(summary[m.name][c], m):>{w}}" for m, w in zip(metrics, widths))
        )
    if intervals is not None:
        lines.append("\n[low, high]: 95% bootstrap intervals over the images (summary.json holds every figure's)")
    return "\n".join(lines)


def write_evaluation(
    per_image: PerImageMetrics,
    out_dir: str,
    intervals: dict[str, Any] | None = None,
    interval_settings: dict[str, Any] | None = None,
) -> list[str]:
    """Writes `per_image.json` and `summary.json` into `out_dir`; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    summary_path = os.path.join(out_dir, "summary.json")
    strict_json.dump(summary_record(per_image, intervals, interval_settings), summary_path)
    return [per_image.save(os.path.join(out_dir, "per_image.json")), summary_path]
