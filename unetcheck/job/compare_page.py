"""`unetcheck compare --html`'s page: the verdict, the figures that regressed with their intervals,
the data changes, and the images whose score fell most from the baselines' mean to the
candidate's, each candidate's and the first baseline's prediction beside the truth."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from unetcheck.errors import InputError
from unetcheck.job import pictures
from unetcheck.job.page import WORST, Shown, format_figure, image_pictures, legend, render, sources_text
from unetcheck.metrics import registry
from unetcheck.metrics.per_image import PerImageMetrics
from unetcheck.metrics.regression import Comparison, Row
from unetcheck.metrics.regression_report import method, verdict


def _row(row: Row) -> dict[str, Any]:
    difference = format_figure(row.difference, row.metric)
    return {
        "label": row.label,
        "baseline": format_figure(row.baseline, row.metric),
        "candidate": format_figure(row.candidate, row.metric),
        "difference": difference if difference.startswith("-") or difference == "n/a" else f"+{difference}",
        "interval": "" if np.isnan(row.low) else f"[{row.low:+.4f}, {row.high:+.4f}]",
        "regressed": row.regressed,
    }


def _mean_per_image(runs: Sequence[PerImageMetrics], key: str) -> np.ndarray:
    values = np.stack([run.figures_per_image()[(key, None)] for run in runs])
    defined = np.isfinite(values)
    with np.errstate(invalid="ignore"):  # an image undefined in every run: NaN, ranked last
        return np.where(defined, values, 0.0).sum(0) / defined.sum(0)


def fell_most(
    baselines: Sequence[PerImageMetrics], candidates: Sequence[PerImageMetrics], key: str, count: int
) -> list[tuple[int, float, float]]:
    """The `count` images whose `key` got worse most from the baselines' mean to the
    candidates', worst first: (index, baseline mean, candidate mean), for those that did."""
    base, cand = _mean_per_image(baselines, key), _mean_per_image(candidates, key)
    lower_is_better = registry.lower_is_better(key)
    worse = (cand - base) if lower_is_better else (base - cand)
    order = [int(i) for i in np.argsort(-np.nan_to_num(worse, nan=-np.inf), kind="stable") if worse[i] > 0]
    return [(i, float(base[i]), float(cand[i])) for i in order[:count]]


def _fell(
    baselines: Sequence[PerImageMetrics], candidates: Sequence[PerImageMetrics], by: str, shown: int
) -> tuple[list[Shown], PerImageMetrics]:
    """The images that fell most, each the truth, the first baseline's and the first candidate's
    prediction; and the run whose truth (and photos) they show."""
    first = candidates[0]
    colours = pictures.palette(len(first.class_names))
    # The truth of the same test set from whichever run still has it on disk.
    truth = next((run for run in [*candidates, *baselines] if run.source_folder("truth")), first)
    runs = [("truth", truth, "truth"), ("baseline", baselines[0], "pred"), ("candidate", first, "pred")]
    fell = []
    for i, base, cand in fell_most(baselines, candidates, by, shown):
        images, note = image_pictures(first.names[i], runs, colours, first.ignore_index, truth.source_folder("images"))
        text = f"{registry.label(by, first.spacing)} {format_figure(base, by)} -> {format_figure(cand, by)}"
        fell.append(Shown(first.names[i], text, images, note))
    return fell, truth


def write_comparison_page(
    comparison: Comparison,
    baselines: Sequence[PerImageMetrics],
    candidates: Sequence[PerImageMetrics],
    names: tuple[Sequence[str], Sequence[str]],
    data_changes: Mapping[str, Sequence[str]],
    path: str | os.PathLike,
    profiles: bool = True,
    shown: int = WORST,
    by: str | None = None,
) -> str:
    """Writes the comparison's page to `path`; `names`: how the baseline and candidate runs are
    called (their paths); `profiles`: whether the runs held data profiles to compare.

    Raises:
      InputError: `by` is not a figure both sides hold.
    """
    held = [registry.overall_keys(run.statistics) for run in [*baselines, *candidates]]
    keys = [key for key in held[-1] if all(key in keys for keys in held)]
    by = by or keys[0]
    if by not in keys:
        raise InputError(f"--worst-by {by!r}: both sides hold {keys}")
    first = candidates[0]
    fell, truth = _fell(baselines, candidates, by, shown)
    missing = [n for n, run in zip([names[0][0], names[1][0]], [baselines[0], first]) if not run.source_folder("pred")]
    note = "" if fell else "No image got worse by this figure."
    if missing:
        note += f" The predictions of {', '.join(missing)} are not on disk: their images are named, not shown."
    return render(
        "compare.html",
        path,
        title="unetcheck compare",
        files=["compare --json"],
        verdict=verdict(comparison),
        failed=bool(comparison.regressions or data_changes),
        baselines=list(names[0]),
        candidates=list(names[1]),
        method=method(comparison),
        notes=list(comparison.notes),
        level=f"{comparison.level:.0%}",
        regressed=[_row(r) for r in comparison.regressions],
        rows=[_row(r) for r in comparison.rows],
        changes=list(data_changes.items()),
        profiles=profiles,
        by=registry.label(by, first.spacing),
        fell=fell,
        fell_note=note.strip(),
        sources_text=sources_text(truth),
        legend_colours=legend(first.class_names, pictures.palette(len(first.class_names))),
    )
