"""The report page, `report.html`: what a team looks at to see why a model got worse. One file,
its pictures inline, that opens offline: from `evaluate` (the figures with their intervals,
the per-class table, the confusion matrix, each figure over the images, the classes missed
or invented, the worst images drawn over their photos), from `verify` (its checks, then the
same), and from `compare` (what regressed, the data changes, the images that fell most).

The page is made from Jinja2 templates (`unetcheck/job/templates/`), escaped, from the same
figures as the JSON files beside it; it is a view of them, never a source of its own.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from unetcheck._version import __version__
from unetcheck.errors import InputError
from unetcheck.job import pictures
from unetcheck.metrics import registry
from unetcheck.metrics.per_image import PerImageMetrics

#: How many images a page shows by default.
WORST = 12
#: How many images missing or inventing a class the page lists.
MISSES_SHOWN = 50
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".PNG", ".JPG", ".JPEG")


def format_figure(value: Any, key: str | None = None) -> str:
    """A figure as the page and the terminal show it: 4 decimals, a count of images whole,
    "n/a" where undefined (None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, str):
        return value
    if key is not None and key in registry.count_keys():
        return f"{value:.0f}"
    return "inf" if math.isinf(value) else f"{value:.4f}"


def _interval(bounds: Sequence[float] | None, key: str) -> str:
    if bounds is None:
        return ""
    return f"[{format_figure(bounds[0], key)}, {format_figure(bounds[1], key)}]"


@dataclasses.dataclass
class Shown:
    """An image on the page: its name, a line of figures, its pictures (caption, address)."""

    name: str
    text: str
    pictures: list[tuple[str, str]]
    note: str = ""


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("unetcheck.job", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )


def render(template: str, path: str | os.PathLike, **context: Any) -> str:
    """Writes `template` filled with `context` to `path`; returns the path."""
    text = _environment().get_template(template).render(version=__version__, **context)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return os.fspath(path)


def _headline(
    per_image: PerImageMetrics, summary: Mapping[str, Any], intervals: Mapping[str, Any] | None
) -> list[dict[str, str]]:
    return [
        {
            "key": key,
            "label": registry.label(key, per_image.spacing),
            "value": format_figure(summary[key], key),
            "interval": _interval(intervals[key] if intervals else None, key),
        }
        for key in registry.overall_keys(per_image.statistics)
    ]


def _class_table(
    per_image: PerImageMetrics, summary: Mapping[str, Any], intervals: Mapping[str, Any] | None
) -> dict[str, Any]:
    metrics = registry.per_class_metrics(per_image.statistics)
    rows = [
        {
            "name": c,
            "cells": [
                {
                    "key": f"{m.name}:{c}",
                    "value": format_figure(summary[m.name][c], m.name),
                    "interval": _interval(intervals[m.name][c] if intervals else None, m.name),
                }
                for m in metrics
            ],
        }
        for c in per_image.class_names
    ]
    return {"labels": [registry.label(m.name, per_image.spacing) for m in metrics], "rows": rows}


def _misses(
    per_image: PerImageMetrics, figures: Mapping[tuple[str, str | None], np.ndarray]
) -> tuple[list[dict[str, Any]], int]:
    """The images where a class is missed or invented (most such classes first), and how many."""
    names = per_image.class_names
    missed = np.stack([figures[("missed", c)] for c in names], axis=1) > 0
    invented = np.stack([figures[("invented", c)] for c in names], axis=1) > 0
    counts = missed.sum(1) + invented.sum(1)
    order = [i for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
    rows = [
        {
            "image": per_image.names[i],
            "missed": [c for c, m in zip(names, missed[i]) if m],
            "invented": [c for c, m in zip(names, invented[i]) if m],
        }
        for i in order[:MISSES_SHOWN]
    ]
    return rows, len(order)


def _ranked(values: np.ndarray, key: str, count: int) -> list[int]:
    """The indices of the `count` worst finite values: lowest first, highest for a figure
    better when lower."""
    finite = np.flatnonzero(np.isfinite(values))
    lower_is_better = registry.lower_is_better(key)
    order = finite[np.argsort(-values[finite] if lower_is_better else values[finite], kind="stable")]
    return [int(i) for i in order[:count]]


def _mask_picture(
    folder: str | None, name: str, colours: np.ndarray, photo: np.ndarray | None, void: int | None
) -> tuple[str | None, str]:
    """(the overlay's address, or None; why not, if not) of mask `name` in `folder`."""
    from unetcheck.job.masks_on_disk import SUFFIXES, read_mask

    path = pictures.find_file(folder, name, SUFFIXES)
    if path is None:
        return None, f"no mask named {name!r} in {folder}" if folder else "not on disk"
    try:
        labels = pictures.mask_slice(read_mask(path))
        if photo is not None and photo.shape[:2] != labels.shape:
            photo = None
        return pictures.png_address(pictures.shrunk(pictures.overlay(labels, colours, photo, void))), ""
    except (OSError, ValueError) as err:
        return None, f"{path}: unreadable ({err})"


def image_pictures(
    name: str,
    captioned: Sequence[tuple[str, PerImageMetrics, str]],
    colours: np.ndarray,
    void: int | None,
    photos: str | None,
) -> tuple[list[tuple[str, str]], str]:
    """The overlays of image `name`: (caption, run, "truth" or "pred") each; and what is missing."""
    photo = None
    path = pictures.find_file(photos, name, PHOTO_SUFFIXES)
    if path is not None:
        try:
            photo = pictures.read_photo(path)
        except OSError:
            photo = None
    shown, missing = [], []
    for caption, run, kind in captioned:
        address, why = _mask_picture(run.source_folder(kind), name, colours, photo, void)
        if address is None:
            missing.append(f"{caption}: {why}")
        else:
            shown.append((caption, address))
    return shown, "; ".join(missing)


def sources_text(run: PerImageMetrics) -> str:
    truth, pred, photos = (run.source_folder(kind) for kind in ("truth", "pred", "images"))
    if truth is None or pred is None:
        return (
            "This run's masks are not on disk (it records none, or they have moved): the images are named, not shown."
        )
    over = f"drawn over the photos in {photos}" if photos else "on black (no photos given: --images)"
    return f"Masks from {truth} (truth) and {pred} (prediction), {over}."


def legend(class_names: Sequence[str], colours: np.ndarray) -> list[tuple[str, str]]:
    """(class, its colour as CSS `#rrggbb`), for a page's legend of the masks' colours."""
    return [
        (name, "#{:02x}{:02x}{:02x}".format(*(int(v) for v in colour))) for name, colour in zip(class_names, colours)
    ]


def _worst(
    per_image: PerImageMetrics,
    figures: Mapping[tuple[str, str | None], np.ndarray],
    by: str,
    count: int,
    colours: np.ndarray,
) -> list[Shown]:
    """The `count` worst images by figure `by`, each its truth and prediction over its photo."""
    shown = []
    for i in _ranked(figures[(by, None)], by, count):
        name = per_image.names[i]
        runs = [("truth", per_image, "truth"), ("prediction", per_image, "pred")]
        images, note = image_pictures(name, runs, colours, per_image.ignore_index, per_image.source_folder("images"))
        text = f"{registry.label(by, per_image.spacing)} {format_figure(figures[(by, None)][i], by)}"
        shown.append(Shown(name, text, images, note))
    return shown


def measurement_context(
    per_image: PerImageMetrics,
    intervals: Mapping[str, Any] | None = None,
    worst: int = WORST,
    worst_by: str | None = None,
    level: float = 0.95,
) -> dict[str, Any]:
    """What the page shows of one run's figures (the `measurement` section of the templates).

    Raises:
      InputError: `worst_by` is not a figure this run holds.
    """
    keys = registry.overall_keys(per_image.statistics)
    worst_by = worst_by or keys[0]
    if worst_by not in keys:
        raise InputError(f"--worst-by {worst_by!r}: the run holds {keys}")
    summary = per_image.summary()
    figures = per_image.figures_per_image()
    colours = pictures.palette(len(per_image.class_names))
    misses, miss_count = _misses(per_image, figures)
    shown = _worst(per_image, figures, worst_by, worst, colours)
    distance = (
        "HD95 and ASSD average the images where both masks hold the class; an image where one lacks it is "
        "counted as missed or invented instead"
        if per_image.missing_distance == "skip"
        else "HD95 and ASSD charge an image where one mask lacks the class its diagonal"
    )
    return {
        "images": len(per_image),
        "classes": list(per_image.class_names),
        "spacing": per_image.spacing,
        "groups": list(per_image.groups),
        "level": f"{level:.0%}" if intervals else "",
        "interval_text": f"[low, high]: {level:.0%} bootstrap intervals over the images." if intervals else "",
        "headline": _headline(per_image, summary, intervals),
        "class_table": _class_table(per_image, summary, intervals),
        "distance_text": distance + ("." if "surface" in per_image.groups else "; the surface group was not measured."),
        "confusion": pictures.confusion_figure(summary["confusion"], per_image.class_names),
        "distribution": pictures.distribution_figure(
            {registry.label(key, per_image.spacing): figures[(key, None)] for key in keys}
        ),
        "misses": misses,
        "miss_count": miss_count,
        "worst": shown,
        "worst_by": registry.label(worst_by, per_image.spacing),
        "sources_text": sources_text(per_image),
        "worst_note": "" if shown else "No image has a finite figure to rank by.",
        "legend": legend(per_image.class_names, colours),
        "truth": per_image.sources.get("truth") or "not recorded",
        "pred": per_image.sources.get("pred") or "not recorded",
    }


def write_evaluation_page(
    per_image: PerImageMetrics,
    path: str | os.PathLike,
    intervals: Mapping[str, Any] | None = None,
    worst: int = WORST,
    worst_by: str | None = None,
) -> str:
    """`unetcheck evaluate`'s `report.html`."""
    return render(
        "evaluate.html",
        path,
        title="unetcheck evaluate",
        files=["summary.json", "per_image.json"],
        m=measurement_context(per_image, intervals, worst, worst_by),
    )


def write_verify_page(
    metrics: Mapping[str, Any],
    per_image: PerImageMetrics,
    path: str | os.PathLike,
    intervals: Mapping[str, Any] | None = None,
) -> str:
    """`unetcheck verify`'s `report.html`: its checks, then its test predictions' figures."""
    config = metrics["config"]
    run = (
        f"mean IoU {format_figure(metrics['miou'])} against the majority-class baseline's "
        f"{format_figure(metrics['majority_baseline_miou'])}; data {config['data']}, {config['size']}x"
        f"{config['size']}, {len(metrics['loss'])} epochs, batch {config['batch_size']}, seed {config['seed']}."
    )
    return render(
        "verify.html",
        path,
        title="unetcheck verify",
        files=["metrics.json", "per_image.json"],
        passed=metrics["passed"],
        checks=metrics["checks"],
        run_text=run,
        m=measurement_context(per_image, intervals),
    )
