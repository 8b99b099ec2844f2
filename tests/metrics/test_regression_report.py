"""A comparison as text: the terminal table and the markdown report flag exactly the figures
the comparison judged regressed, and the verdict names them with their differences."""

from __future__ import annotations

import numpy as np

from unetcheck.metrics import per_image_metrics
from unetcheck.metrics.regression import compare
from unetcheck.metrics.regression_report import comparison_markdown, format_comparison, method, verdict


def _runs(seed=0):
    """A baseline that predicts the truth but for 5% of pixels, and a candidate that also
    never predicts class 2."""
    rng = np.random.default_rng(seed)
    truth = np.kron(rng.integers(0, 3, (30, 4, 4)), np.ones((1, 4, 4), np.int64))
    pred = np.where(rng.uniform(size=truth.shape) < 0.05, 0, truth)
    return per_image_metrics(truth, pred, 3), per_image_metrics(truth, np.where(pred == 2, 1, pred), 3)


def test_each_regressed_figure_is_flagged_once_in_each_form():
    baseline, candidate = _runs()
    comparison = compare(baseline, candidate, resamples=300)
    regressed = {row.label for row in comparison.regressions}
    assert "miou" in regressed
    table = format_comparison(comparison)
    flagged = {line.split()[0] for line in table.splitlines() if line.endswith("REGRESSED")}
    assert flagged == regressed
    markdown = comparison_markdown(comparison, "base/", "cand/")
    assert markdown.count("**regressed**") == len(regressed)
    assert "Baseline `base/`, candidate `cand/`: REGRESSION in" in markdown
    miou = next(row for row in comparison.rows if row.label == "miou")
    assert f"miou {miou.difference:+.4f}" in verdict(comparison)


def test_no_regression_states_what_would_have_counted():
    baseline, _ = _runs()
    comparison = compare(baseline, baseline, resamples=300, tolerance=0.03)
    assert verdict(comparison).startswith("no regression (a drop counts when significant at 95% and over 0.03")
    assert "REGRESSED" not in format_comparison(comparison)
    assert method(comparison).startswith("paired bootstrap over 30 test images, 300 resamples, seed 0")
