"""The comparison of a candidate with its baseline (`regression.compare`) as text: a terminal
table and a markdown report, each with how it was made and the verdict."""

from __future__ import annotations

import math

from unetcheck.metrics import registry
from unetcheck.metrics.regression import Comparison


def verdict(comparison: Comparison) -> str:
    """The comparison's verdict in one line: no regression, or which figures regressed."""
    if not comparison.regressions:
        return (
            f"no regression (a drop counts when significant at {comparison.level:.0%} and over "
            f"{comparison.tolerance}; a rise of a surface distance over {comparison.distance_tolerance})"
        )
    return f"REGRESSION in {len(comparison.regressions)} figure(s): " + ", ".join(
        f"{row.label} {row.difference:+.4f}" for row in comparison.regressions
    )


def _baselines(comparison: Comparison) -> str:
    k, m = comparison.baseline_runs, comparison.candidate_runs
    if comparison.paired:
        if m == 1:
            return (
                "one pair of runs with the same seeds: the test images' noise, and what pairing leaves of the "
                'seeds\' (docs/baseline.md, "Paired seeds")'
            )
        return f"{m} pairs of runs with the same seeds: their paired differences, the interval widened by their spread"
    if k == m == 1:
        return "one baseline run: test-image noise only, not training noise (pass several baseline runs)"
    runs = f"{k} baseline run{'s' if k > 1 else ''}" + (f" and {m} candidate runs" if m > 1 else "")
    return f"{runs}: their means, the interval widened by their spread (training noise)"


def _intervals(comparison: Comparison) -> str:
    finite = [row for row in comparison.rows if math.isfinite(row.low) and math.isfinite(row.high)]
    count_keys = registry.count_keys()
    figures = sum(1 for row in finite if row.metric not in count_keys)
    if not comparison.simultaneous:
        return f"each interval at {comparison.level:.0%} on its own (not corrected for judging {figures} figures)"
    alone = f" (each at {comparison.level_alone:.1%} alone)" if comparison.level_alone is not None else ""
    counts = ""
    if any(row.metric in count_keys for row in comparison.rows):
        counts = (
            "; the images where a class is missed or invented at the same level"
            if len(finite) > figures
            else "; the images where a class is missed or invented by how many runs do so (Fisher's exact test)"
        )
    return f"the intervals hold for all {figures} figures at once{alone}{counts}"


def method(comparison: Comparison) -> str:
    """How the comparison was made, in one sentence."""
    return (
        f"paired bootstrap over {comparison.images} test images, {comparison.resamples} resamples, "
        f"seed {comparison.seed}, tolerance {comparison.tolerance}; {_baselines(comparison)}; "
        f"{_intervals(comparison)}"
    )


def format_comparison(comparison: Comparison) -> str:
    """The comparison as a terminal table, with how it was made and the verdict."""
    header = f"{'metric':<28} {'baseline':>9} {'candidate':>9} {'diff':>8}  {comparison.level:.0%} interval"
    lines = [header, "-" * len(header)]
    for row in comparison.rows:
        flag = "  REGRESSED" if row.regressed else ""
        lines.append(
            f"{row.label:<28} {row.baseline:9.4f} {row.candidate:9.4f} {row.difference:+8.4f}  "
            f"[{row.low:+.4f}, {row.high:+.4f}]{flag}"
        )
    lines.append(f"\n{method(comparison)}")
    lines += [f"note: {note}" for note in comparison.notes]
    lines.append(verdict(comparison))
    return "\n".join(lines)


def comparison_markdown(comparison: Comparison, baseline: str = "baseline", candidate: str = "candidate") -> str:
    """The comparison as a markdown report."""
    rows = "\n".join(
        f"| {row.label} | {row.baseline:.4f} | {row.candidate:.4f} | {row.difference:+.4f} | "
        f"[{row.low:+.4f}, {row.high:+.4f}] | {'**regressed**' if row.regressed else ''} |"
        for row in comparison.rows
    )
    return f"""# unetcheck compare

Baseline `{baseline}`, candidate `{candidate}`: {verdict(comparison)}.

| metric | baseline | candidate | difference | {comparison.level:.0%} interval | |
| --- | --- | --- | --- | --- | --- |
{rows}

Paired bootstrap over the same {comparison.images} test images: {comparison.resamples} resamples (seed
{comparison.seed}); {_baselines(comparison)}; {_intervals(comparison)}. A figure regresses when its whole
interval lies below zero and it dropped by more than {comparison.tolerance}; a surface distance (HD95, ASSD,
in pixels or spacing units) when its whole interval lies above zero and it rose by more than
{comparison.distance_tolerance}.
{"".join(f"{chr(10)}Note: {note}{chr(10)}" for note in comparison.notes)}"""
