"""The baseline comparison: a paired bootstrap that flags real drops, not noise, and refuses
artifacts from different test sets."""

from __future__ import annotations

import numpy as np
import pytest

from unetcheck.checks import assert_no_regression
from unetcheck.metrics import per_image_metrics
from unetcheck.metrics.regression import compare
from unetcheck.metrics.regression_report import comparison_markdown, format_comparison

CLASSES = ("pet", "background", "border")


def _run(truth, accuracy, seed, names=None, fingerprint="same-test-set"):
    """Predictions that keep each pixel's true class with probability `accuracy`."""
    rng = np.random.default_rng(seed)
    pred = np.where(rng.uniform(size=truth.shape) < accuracy, truth, rng.integers(0, 3, truth.shape))
    return per_image_metrics(truth, pred, 3, names=names, class_names=CLASSES, fingerprint=fingerprint)


TRUTH = np.random.default_rng(0).integers(0, 3, (40, 24, 24))


def test_the_same_quality_twice_is_not_a_regression():
    # Two "trainings" of equal quality differing only by noise: nothing is flagged, the
    # intervals straddle zero.
    comparison = compare(_run(TRUTH, 0.8, seed=1), _run(TRUTH, 0.8, seed=2))
    assert comparison.regressions == []
    assert all(row.low < 0 < row.high for row in comparison.rows if row.metric == "miou")
    assert_no_regression(baseline=_run(TRUTH, 0.8, seed=1), candidate=_run(TRUTH, 0.8, seed=2))


def test_the_compared_figures_are_the_summary_figures():
    baseline, candidate = _run(TRUTH, 0.85, seed=1), _run(TRUTH, 0.7, seed=2)
    rows = {row.label: row for row in compare(baseline, candidate).rows}
    for run, side in ((baseline, "baseline"), (candidate, "candidate")):
        summary = run.summary()
        assert getattr(rows["miou"], side) == summary["miou"]
        assert getattr(rows["pixel_accuracy"], side) == summary["pixel_accuracy"]
        for overall in ("mean_boundary_iou", "mean_nsd", "mean_hd95", "mean_assd"):
            assert getattr(rows[overall], side) == pytest.approx(summary[overall], rel=1e-12)
        for metric in ("iou", "dice", "boundary_iou", "precision", "recall"):
            assert [getattr(rows[f"{metric}[{c}]"], side) for c in CLASSES] == [summary[metric][c] for c in CLASSES]

        for metric in ("nsd", "hd95", "assd"):  # a mean over images: the same sum in another order
            np.testing.assert_allclose(
                [getattr(rows[f"{metric}[{c}]"], side) for c in CLASSES],
                [summary[metric][c] for c in CLASSES],
                rtol=1e-12,
            )


def _squares(shift: int, count: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Squares of random sizes, and predictions of them `shift` pixels to the right, give or
    take a pixel of noise per image."""
    squares, noise = np.random.default_rng(0), np.random.default_rng(seed)  # the same squares every time
    truth = np.zeros((count, 32, 32), np.int64)
    pred = np.zeros_like(truth)
    for i in range(count):
        top, size = squares.integers(4, 10), squares.integers(8, 16)
        truth[i, top : top + size, top : top + size] = 1
        pred[i] = np.roll(truth[i], shift + int(noise.integers(0, 2)), axis=1)
    return truth, pred


def test_a_surface_distance_that_rises_is_flagged_in_pixels():
    truth, near = _squares(0)
    _, far = _squares(3, seed=1)
    baseline = per_image_metrics(truth, near, 2, fingerprint="squares")
    candidate = per_image_metrics(truth, far, 2, fingerprint="squares")
    flagged = {row.label for row in compare(baseline, candidate).regressions}
    assert {"mean_hd95", "hd95[class_1]", "assd[class_1]", "mean_nsd"} <= flagged
    hd95 = next(row for row in compare(baseline, candidate).rows if row.label == "hd95[class_1]")
    assert hd95.lower_is_better and hd95.low > 0 and hd95.difference > 2
    # A rise smaller than the distance tolerance is not a regression; a fall never is.
    assert "hd95[class_1]" not in {row.label for row in compare(baseline, candidate, distance_tolerance=5).regressions}
    assert compare(candidate, baseline).regressions == []


def test_runs_measured_otherwise_are_refused():
    truth, pred = _squares(0)
    base = per_image_metrics(truth, pred, 2)
    with pytest.raises(ValueError, match="different ignored labels: ignore_index None and 255"):
        compare(base, per_image_metrics(truth, pred, 2, ignore_index=255))
    with pytest.raises(ValueError, match="NSD measured with different tolerances: 2.0 and 1.0 pixels"):
        compare(base, per_image_metrics(truth, pred, 2, nsd_tolerance=1.0))


def test_a_real_drop_is_flagged_with_its_interval():
    baseline, candidate = _run(TRUTH, 0.85, seed=1), _run(TRUTH, 0.75, seed=2)
    comparison = compare(baseline, candidate)
    flagged = {row.label for row in comparison.regressions}
    assert {"miou", "pixel_accuracy", "iou[pet]", "boundary_iou[border]"} <= flagged
    miou = next(row for row in comparison.rows if row.label == "miou")
    assert miou.high < 0 and miou.difference < -0.02
    with pytest.raises(
        AssertionError,
        match=r"regressed \(paired bootstrap, 40 images, 2000 resamples, 95% "
        r"intervals for all figures at once, tolerance 0\.02\): miou 0\.\d+ -> 0\.\d+",
    ):
        assert_no_regression(baseline=baseline, candidate=candidate)
    with pytest.warns(DeprecationWarning, match="by position is deprecated"), pytest.raises(AssertionError):
        assert_no_regression(candidate, baseline)  # the old positional order still means what it meant
    # A significant drop smaller than the tolerance is not a regression.
    assert compare(baseline, candidate, tolerance=0.5).regressions == []
    assert compare(candidate, baseline).regressions == []  # an improvement never is


def test_the_verdict_is_repeatable_and_stated():
    baseline, candidate = _run(TRUTH, 0.85, seed=1), _run(TRUTH, 0.8, seed=2)
    assert compare(baseline, candidate, seed=3).rows == compare(baseline, candidate, seed=3).rows
    table = format_comparison(compare(baseline, candidate, resamples=500, level=0.9))
    assert "paired bootstrap over 40 test images, 500 resamples, seed 0, tolerance 0.02" in table
    assert "90% interval" in table and "REGRESSION in" in table
    assert "| miou |" in comparison_markdown(compare(baseline, candidate), "base/", "cand/")


def test_different_test_sets_are_refused():
    baseline = _run(TRUTH, 0.8, seed=1)
    with pytest.raises(ValueError, match="different test images: 40 and 39 images"):
        compare(baseline, _run(TRUTH[:39], 0.8, seed=2))
    with pytest.raises(ValueError, match="in another order"):
        compare(baseline, _run(TRUTH, 0.8, seed=2, names=[str(i) for i in reversed(range(40))]))
    with pytest.raises(ValueError, match="fingerprints differ"):
        compare(baseline, _run(TRUTH, 0.8, seed=2, fingerprint="another-test-set"))
    with pytest.raises(ValueError, match="level must lie in"):
        compare(baseline, baseline, level=95)


def test_several_baseline_runs_add_training_noise_to_the_verdict():
    # Three "seeds" of one training whose quality varies from run to run, as real seeds do.
    baselines = [_run(TRUTH, accuracy, seed=s) for s, accuracy in ((1, 0.80), (2, 0.86), (3, 0.74))]
    candidate = _run(TRUTH, 0.76, seed=4)  # within the seeds' spread
    assert compare(baselines[1], candidate).regressions  # one baseline knows no training noise
    comparison = compare(baselines, candidate)
    assert comparison.regressions == [] and comparison.baseline_runs == 3
    miou = next(row for row in comparison.rows if row.label == "miou")
    assert miou.baseline == pytest.approx(np.mean([b.summary()["miou"] for b in baselines]))
    assert miou.seed_sd > 0.03 and miou.low < miou.difference < miou.high
    assert "3 baseline runs" in format_comparison(comparison)
    assert {"miou", "pixel_accuracy"} <= {row.label for row in compare(baselines, _run(TRUTH, 0.3, seed=5)).regressions}


def test_several_candidate_runs_see_past_one_candidates_seed_noise():
    # Both sides vary from seed to seed as much (accuracy +-0.06); the change costs 0.18 of
    # accuracy. No single candidate run is flagged against the three baselines (Student's t
    # on 2 degrees of freedom, the candidate's own seed noise counted in full); the mean of
    # three candidate runs is (t on 4, the noise counted 1/3 + 1/3).
    baselines = [_run(TRUTH, accuracy, seed=s) for s, accuracy in ((1, 0.80), (2, 0.86), (3, 0.74))]
    candidates = [_run(TRUTH, accuracy, seed=s) for s, accuracy in ((4, 0.62), (5, 0.68), (6, 0.56))]
    assert not any("miou" == row.label for c in candidates for row in compare(baselines, c).regressions)
    comparison = compare(baselines, candidates)
    miou = next(row for row in comparison.rows if row.label == "miou")
    assert miou.regressed and comparison.candidate_runs == 3
    # The figures: means of each side, and the two sides' pooled standard deviation,
    # computed here from the runs' own summaries.
    base, cand = (np.array([run.summary()["miou"] for run in runs]) for runs in (baselines, candidates))
    assert (miou.baseline, miou.candidate) == (pytest.approx(base.mean()), pytest.approx(cand.mean()))
    pooled = np.sqrt((np.sum((base - base.mean()) ** 2) + np.sum((cand - cand.mean()) ** 2)) / 4)
    assert miou.seed_sd == pytest.approx(pooled)
    assert "3 baseline runs and 3 candidate runs" in format_comparison(comparison)


def test_one_candidate_in_a_list_is_one_candidate():
    baselines = [_run(TRUTH, accuracy, seed=s) for s, accuracy in ((1, 0.80), (2, 0.86))]
    candidate = _run(TRUTH, 0.7, seed=4)
    assert str(compare(baselines, [candidate]).rows) == str(compare(baselines, candidate).rows)  # NaN != NaN
    with pytest.raises(ValueError, match="no candidate run given"):
        compare(baselines, [])
    with pytest.raises(ValueError, match="different test images"):
        compare(baselines, [candidate, _run(TRUTH[:39], 0.7, seed=5)])


def test_images_where_the_candidate_misses_a_class_are_counted():
    truth, pred = _squares(0)
    missed = pred.copy()
    missed[:10] = 0  # the square never predicted in 10 of the 30 images: their HD95 and ASSD are inf
    baseline = per_image_metrics(truth, pred, 2, fingerprint="squares")
    candidate = per_image_metrics(truth, missed, 2, fingerprint="squares")
    rows = {row.label: row for row in compare(baseline, candidate).rows}
    # The distances stay finite (the 20 images where both masks hold the square); the misses
    # are counted, and 10 more of 30 images lie far outside the test images' noise.
    assert np.isfinite(rows["hd95[class_1]"].candidate) and np.isfinite(rows["mean_hd95"].candidate)
    assert (rows["missed[class_1]"].baseline, rows["missed[class_1]"].candidate) == (0, 10)
    assert rows["missed[class_1]"].regressed and rows["missed[class_1]"].low > 0
    assert not any(row.regressed for row in compare(candidate, baseline).rows if row.lower_is_better)
    assert not any(row.regressed for row in compare(candidate, candidate).rows)
    # One image of 30: one run a side cannot tell it from the test images' noise (the image
    # is left out of a resample a third of the time).
    missed[10:] = pred[10:]
    missed[1:10] = pred[1:10]
    one = {row.label: row for row in compare(baseline, per_image_metrics(truth, missed, 2, fingerprint="squares")).rows}
    assert one["missed[class_1]"].candidate == 1 and not one["missed[class_1]"].regressed


def _seed_runs(count: int, seed: int = 7) -> list:
    """Runs of one "training" whose seeds shift each class's accuracy on its own (+-0.03), as
    real seeds move per-class figures apart: the figures' noise is only partly shared."""
    accuracy = np.random.default_rng(seed).normal(0.8, 0.03, (count, 3))
    runs = []
    for s, per_class in enumerate(accuracy):
        rng = np.random.default_rng(s)
        keep = rng.uniform(size=TRUTH.shape) < per_class[TRUTH]
        pred = np.where(keep, TRUTH, rng.integers(0, 3, TRUTH.shape))
        runs.append(per_image_metrics(TRUTH, pred, 3, class_names=CLASSES, fingerprint="same-test-set"))
    return runs


def test_intervals_for_all_figures_at_once_keep_false_alarms_near_the_level():
    # Three baseline and three candidate runs drawn from twelve seeds of the same training, 40
    # times, judged with no tolerance: each of the 31 figures alone at 95% flags some figure in
    # 5 of 40 comparisons (12%); the intervals for all figures at once in 1 (2.5%). Nominal is
    # 5% (2 of 40), which a correction that did nothing would exceed.
    runs, order = _seed_runs(12), np.random.default_rng(1)
    together = alone = 0
    for _ in range(40):
        drawn = order.permutation(12)
        sides = dict(
            baseline=[runs[i] for i in drawn[:3]],
            candidate=[runs[i] for i in drawn[3:6]],
            resamples=200,
            tolerance=0,
            distance_tolerance=0,
        )
        together += bool(compare(**sides).regressions)
        alone += bool(compare(**sides, simultaneous=False).regressions)
    assert together <= 2 < alone


def test_the_intervals_for_all_figures_contain_each_alone():
    runs = _seed_runs(4)
    for baseline, candidate in ((runs[0], runs[1]), (runs[:2], runs[2:])):
        together, alone = compare(baseline, candidate), compare(baseline, candidate, simultaneous=False)
        assert together.level_alone > 0.95 and alone.level_alone == pytest.approx(0.95)
        for wide, narrow in zip(together.rows, alone.rows):
            assert wide.low <= narrow.low <= narrow.high <= wide.high or np.isnan(wide.low)
        assert "the intervals hold for all 31 figures at once (each at" in format_comparison(together)
        counted = "at the same level" if baseline is runs[0] else "by how many runs do so (Fisher's exact test)"
        assert f"; the images where a class is missed or invented {counted}" in format_comparison(together)
        assert "each interval at 95% on its own" in comparison_markdown(alone)


def test_runs_that_miss_a_class_are_counted_not_averaged():
    # Several runs where some miss a class on an image: the sides are compared by how many of
    # their runs miss it (Fisher's exact test), not by an infinite mean.
    truth, pred = _squares(0)
    missed = pred.copy()
    missed[0] = 0
    found = [per_image_metrics(truth, np.roll(pred, s, axis=2), 2, fingerprint="squares") for s in range(5)]
    lost = [per_image_metrics(truth, np.roll(missed, s, axis=2), 2, fingerprint="squares") for s in range(3)]
    # One of six baselines misses it, like the one candidate: 2 of 15 seeds of one training did so.
    row = next(r for r in compare([*found, lost[0]], lost[1]).rows if r.label == "missed[class_1]")
    assert row.missed_p == pytest.approx(2 / 7) and not row.regressed
    # All three candidates miss it and none of five baselines: p = 1 / C(8, 3) = 1/56.
    row = next(r for r in compare(found, lost).rows if r.label == "missed[class_1]")
    assert row.missed_p == pytest.approx(1 / 56) and row.regressed


def test_a_candidate_with_a_baselines_seeds_is_named_identical_or_how_far_apart():
    baseline = _run(TRUTH, 0.8, seed=1)
    baseline.seeds = {"training": 3, "data": 0}
    other = _run(TRUTH, 0.8, seed=2)
    other.seeds = {"training": 4, "data": 0}
    rerun = _run(TRUTH, 0.8, seed=1)  # the same training again: the same predictions
    rerun.seeds = {"training": 3, "data": 0}
    comparison = compare([other, baseline], rerun)
    assert comparison.notes == ("the candidate is identical to baseline seed 3 on every test image",)
    assert not comparison.regressions and "note: the candidate is identical" in format_comparison(comparison)
    changed = _run(TRUTH, 0.8, seed=1)
    changed.seeds = {"training": 3, "data": 0}
    changed.confusion[5] = np.roll(changed.confusion[5], 1, axis=1)  # image 5 predicted otherwise
    (note,) = compare([other, baseline], changed).notes
    gap = abs(changed.rows()[5]["miou"] - baseline.rows()[5]["miou"])
    assert note == (
        f"the candidate differs from baseline seed 3 (the same seeds) on 1 of 40 test images, by at "
        f"most {gap:.4g} in an image's mean IoU ('5')"
    )
    changed.seeds = {"training": 5, "data": 0}  # no baseline of its seeds: nothing to say
    assert compare([other, baseline], changed).notes == ()


def _seeded(accuracy, seed, training):
    run = _run(TRUTH, accuracy, seed=seed)
    run.seeds = {"training": training, "data": 0}
    return run


def test_paired_runs_are_matched_by_their_seeds():
    baselines = [_seeded(0.8, seed=s, training=s) for s in (1, 2, 3)]
    candidates = [_seeded(0.78, seed=s, training=s) for s in (3, 1)]  # any order
    comparison = compare(baselines, candidates, paired=True)
    assert comparison.paired and comparison.as_dict()["paired"] and comparison.baseline_runs == 2
    # One pair is one run a side: the same intervals as the unpaired comparison of the two.
    assert str(compare(baselines, candidates[:1], paired=True).rows) == str(compare(baselines[2], candidates[0]).rows)
    # Several: the mean of the pairs' differences, its spread the differences' own.
    mean_iou = next(row for row in comparison.rows if row.label == "miou")
    differences = [c.summary()["miou"] - baselines[s - 1].summary()["miou"] for c, s in zip(candidates, (3, 1))]
    assert mean_iou.difference == pytest.approx(np.mean(differences), abs=1e-12)
    assert mean_iou.seed_sd == pytest.approx(np.std(differences, ddof=1), rel=1e-9)
    assert mean_iou.low < mean_iou.difference < mean_iou.high
    assert "2 pairs of runs with the same seeds" in format_comparison(comparison)
    with pytest.raises(ValueError, match=r"candidate 0 \(seeds \(7, 0\)\) has no baseline of the same training"):
        compare(baselines, [_seeded(0.8, seed=7, training=7)], paired=True)
    unseeded = _run(TRUTH, 0.8, seed=1)
    with pytest.raises(ValueError, match="a paired comparison needs runs that record their seeds"):
        compare([unseeded], candidates, paired=True)
