"""Did a change make segmentation worse than the baseline? A paired bootstrap over the same test
images, and a verdict that knows run-to-run noise.

For each metric (and class), the candidate's difference from the baseline, and a
confidence interval of that difference from `resamples` resamples of the test images
(the same resampled images for both runs: paired). A metric has *regressed* only when
its drop is statistically significant (the whole interval below zero) *and* larger than
`tolerance`: a significant drop of 0.001 mIoU is rarely worth failing a build. Surface
distances (HD95, ASSD, in pixels or the runs' `spacing` units) get worse by rising: they
regress when the interval lies above zero and they rose by more than `distance_tolerance`.

One baseline run covers the noise of the test images, not that of training: two trainings
that differ only by their seed differ by more than that on a small data set
(docs/baseline.md measures it). Given several baseline runs (seeds), the comparison is
with their mean, and the interval also holds their spread: the candidate is one more
training, so the seeds' variance s2 counts s2 (1 + 1/k) for k runs, and the interval's
half-width is Student's t (k - 1 degrees of freedom) times the square root of that plus
the bootstrap's variance. Several candidate runs (m, other seeds of the change) are
compared by their mean the same way, with the two groups' pooled variance counted
s2 (1/k + 1/m) on k + m - 2 degrees of freedom: the only way past one candidate's own
seed noise, which no number of baseline runs removes.

Some 30 figures are judged at once, so by default the intervals hold for all of them
together (a wider t, found by simulating the figures' joint noise: max-t), and a change
that alters nothing is flagged in about 1 - `level` of comparisons, not in one of five.
Surface distances are averaged over the images where both masks have the class; the images
where one lacks it are counted (`missed`, `invented` per class), and a significant rise of
such a count regresses. With several runs a side, those counts are compared by how many of
each side's runs miss (or invent) the class at all (Fisher's exact test), as an infinite
distance of an older artifact is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from unetcheck.errors import InputError
from unetcheck.metrics import _statistics as _stats
from unetcheck.metrics import registry
from unetcheck.metrics.per_image import PerImageMetrics

#: Figures better when lower: surface distances (in `spacing` units), and the numbers of
#: images where a class is missed or invented.
#: Read from the registry when judging, so that a metric registered later is judged its way.
RESAMPLES = _stats.RESAMPLES
LEVEL = _stats.LEVEL
TOLERANCE = 0.02
DISTANCE_TOLERANCE = 1.0  # in the runs' spacing units (pixels by default)


@dataclasses.dataclass(frozen=True)
class Row:
    """One metric (and class) compared."""

    metric: str
    class_name: str | None
    baseline: float
    candidate: float
    low: float  # the difference's confidence interval
    high: float
    regressed: bool
    seed_sd: float | None = None  # the runs' spread (pooled standard deviation), with several
    #: With several runs where some miss a class on an image (an infinite distance): Fisher's
    #: one-sided p that the candidates miss it no more often than the baselines.
    missed_p: float | None = None

    @property
    def lower_is_better(self) -> bool:
        return registry.lower_is_better(self.metric)

    @property
    def difference(self) -> float:
        return self.candidate - self.baseline

    @property
    def label(self) -> str:
        return self.metric if self.class_name is None else f"{self.metric}[{self.class_name}]"


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Every row of a comparison and how it was made."""

    rows: list[Row]
    resamples: int
    level: float
    tolerance: float
    seed: int
    images: int
    baseline_runs: int = 1
    distance_tolerance: float = DISTANCE_TOLERANCE
    candidate_runs: int = 1
    simultaneous: bool = True  # the intervals hold for all figures at once
    #: The level each finite interval has on its own (above `level` when simultaneous).
    level_alone: float | None = None
    #: What a reader must know about how the runs were matched and what was left out.
    notes: tuple[str, ...] = ()
    #: Each candidate judged against the baseline trained with its seeds (`compare(paired=True)`).
    paired: bool = False

    @property
    def regressions(self) -> list[Row]:
        return [row for row in self.rows if row.regressed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "resamples": self.resamples,
            "level": self.level,
            "tolerance": self.tolerance,
            "seed": self.seed,
            "images": self.images,
            "baseline_runs": self.baseline_runs,
            "candidate_runs": self.candidate_runs,
            "simultaneous": self.simultaneous,
            "level_alone": self.level_alone,
            "notes": list(self.notes),
            "paired": self.paired,
            "regressed": [row.label for row in self.regressions],
            "rows": [{**dataclasses.asdict(row), "difference": row.difference} for row in self.rows],
        }


def _figures(metrics: PerImageMetrics, weights: np.ndarray) -> dict[tuple[str, str | None], np.ndarray]:
    """Every compared figure (`registry.METRICS`) for each row of `weights` (R, N): how often
    each image is drawn; the same function `PerImageMetrics.summary` uses."""
    return registry.figures(metrics.statistics, weights, metrics.class_names)


def check_same_test_set(baseline: PerImageMetrics, candidate: PerImageMetrics) -> list[str]:
    """Raises ValueError, saying why, unless the two were measured on the same test images and
    the same way; returns notes on what could not be checked (fingerprints of two recipes)."""
    if baseline.class_names != candidate.class_names:
        raise InputError(f"different classes: {baseline.class_names} and {candidate.class_names}")
    if baseline.names != candidate.names:
        only = sorted(set(baseline.names) ^ set(candidate.names))
        raise InputError(
            f"different test images: {len(baseline)} and {len(candidate)} images"
            + (f", {len(only)} named in only one ({only[:3]})" if only else ", in another order")
        )
    notes = []
    if baseline.fingerprint and candidate.fingerprint:
        if baseline.fingerprint_recipe != candidate.fingerprint_recipe:
            notes.append(
                f"the test sets are matched by their image names only: their fingerprints were made by "
                f"different recipes ({_recipe(baseline)} and {_recipe(candidate)}); measure both again with "
                "this unetcheck to match their masks"
            )
        elif baseline.fingerprint != candidate.fingerprint:
            raise InputError(
                "the same image names but different masks: the test sets' fingerprints differ "
                f"({baseline.fingerprint[:12]}... and {candidate.fingerprint[:12]}...)"
            )
    if baseline.boundary_ratio != candidate.boundary_ratio:
        raise InputError(
            f"boundary IoU measured with different bands: boundary_ratio {baseline.boundary_ratio} "
            f"and {candidate.boundary_ratio}"
        )
    if baseline.ignore_index != candidate.ignore_index:
        raise InputError(f"different ignored labels: ignore_index {baseline.ignore_index} and {candidate.ignore_index}")
    if baseline.surface is not None and candidate.surface is not None:
        if baseline.spacing != candidate.spacing:
            raise InputError(
                f"surface distances measured with different spacings: {baseline.spacing} and "
                f"{candidate.spacing} (None: pixels)"
            )
        if baseline.nsd_tolerance != candidate.nsd_tolerance:
            unit = "pixels" if baseline.spacing is None else "spacing units"
            raise InputError(
                f"NSD measured with different tolerances: {baseline.nsd_tolerance} and {candidate.nsd_tolerance} {unit}"
            )
        if baseline.missing_distance != candidate.missing_distance:
            raise InputError(
                f"HD95 and ASSD of missed classes measured differently: missing_distance "
                f"{baseline.missing_distance!r} and {candidate.missing_distance!r}"
            )
    return notes


def _recipe(run: PerImageMetrics) -> str:
    if run.fingerprint_recipe is None:
        return "an earlier unetcheck's, of its photos and masks or of its masks"
    return "one given by its caller" if run.fingerprint_recipe == "given" else run.fingerprint_recipe


def compare(
    baseline: PerImageMetrics | Sequence[PerImageMetrics],
    candidate: PerImageMetrics | Sequence[PerImageMetrics],
    tolerance: float = TOLERANCE,
    resamples: int = RESAMPLES,
    level: float = LEVEL,
    seed: int = 0,
    distance_tolerance: float = DISTANCE_TOLERANCE,
    simultaneous: bool = True,
    paired: bool = False,
) -> Comparison:
    """Each metric's difference, candidate minus baseline, with a paired bootstrap interval.

    Examples:
        >>> import numpy as np
        >>> from unetcheck.metrics import per_image_metrics
        >>> truth = np.random.default_rng(0).integers(0, 2, (20, 8, 8))
        >>> run = per_image_metrics(truth, truth, 2)
        >>> comparison = compare(run, run)
        >>> comparison.regressions, [row.label for row in comparison.rows][:3]
        ([], ['miou', 'pixel_accuracy', 'mean_dice'])

    Args:
      baseline: one baseline run, or several (trained with other seeds on the same data):
        then the difference is from their mean and the interval holds their spread.
      candidate: one candidate run, or several (the change trained with other seeds): then
        their mean is compared, and the seeds' noise of both sides counts.
      tolerance: the smallest drop (absolute, in the metric's units) that counts.
      distance_tolerance: the smallest rise of a surface distance (HD95, ASSD) that counts,
        in pixels (in the runs' `spacing` units where they have one).
      resamples: bootstrap resamples of the test images.
      level: the intervals' confidence level (percentile intervals for one run a side).
      seed: of the resampling (and of the simulation for several runs), so a verdict is repeatable.
      simultaneous: the intervals hold at `level` for all figures at once (max-t; for one run
        a side, percentile tails narrowed together), so that judging some 30 figures does not
        raise the chance of a false alarm to one in five. False: each interval at `level` alone.
      paired: judge each candidate against the baseline trained with its seeds (the runs'
        `seeds`): a change that leaves the random stream alone then differs from its twin by
        much less than seeds differ (docs/baseline.md, "Paired seeds"). With several pairs the
        interval holds the pairs' differences' spread (Student's t on pairs - 1 degrees of
        freedom); the images where a class is missed or invented, by a sign test over pairs.

    Raises:
      ValueError: artifacts from different test sets, runs without a twin (`paired`), or
        bad arguments.
    """
    baselines, candidates = _as_runs(baseline, "baseline"), _as_runs(candidate, "candidate")
    if paired:
        baselines = twins(baselines, candidates)
    notes = list(
        dict.fromkeys(note for run in [*baselines, *candidates[1:]] for note in check_same_test_set(run, candidates[0]))
    )
    _check_settings(level, resamples, tolerance, distance_tolerance)
    n, k, m = len(candidates[0]), len(baselines), len(candidates)
    rng = np.random.default_rng(seed)
    keys, values, cand_values, diffs, left_out = _draws(baselines, candidates, resamples, rng)
    notes += same_seed_notes(baselines, candidates)
    if left_out:
        notes.append(f"left out, as not every run measured them: {', '.join(left_out)}")
    if paired and m > 1:
        rows, level_alone = _paired_intervals(keys, values, cand_values, diffs, level, simultaneous, rng)
    else:  # one pair is one run a side: the same percentile intervals
        rows, level_alone = _intervals(keys, values, cand_values, diffs, level, simultaneous, rng)
    rows = [_judged(row, level, tolerance, distance_tolerance) for row in rows]
    return Comparison(
        rows,
        resamples,
        level,
        tolerance,
        seed,
        n,
        k,
        distance_tolerance,
        m,
        simultaneous,
        level_alone,
        tuple(notes),
        paired,
    )


def _check_settings(level: float, resamples: int, tolerance: float, distance_tolerance: float) -> None:
    if not 0 < level < 1:
        raise InputError(f"level must lie in (0, 1); got {level}")
    if resamples < 100:
        raise InputError(f"resamples must be at least 100; got {resamples}")
    if tolerance < 0 or distance_tolerance < 0:
        raise InputError(f"tolerances must be >= 0; got {tolerance} and {distance_tolerance}")


def _draws(
    baselines: Sequence[PerImageMetrics],
    candidates: Sequence[PerImageMetrics],
    resamples: int,
    rng: np.random.Generator,
) -> tuple:
    """The figures every run holds (keys), each run's on all images (k, J) and (m, J), the
    bootstrap's differences of the sides' means (R, J), and the figures some runs lack."""
    n = len(candidates[0])
    everything = np.ones((1, n))
    bases, cands = [_figures(run, everything) for run in baselines], [_figures(run, everything) for run in candidates]
    # Each resample draws n images with replacement; the same draws for every run (paired).
    weights = _stats.bootstrap_weights(n, resamples, rng)
    base_draws, cand_draws = (
        [_figures(run, weights) for run in baselines],
        [_figures(run, weights) for run in candidates],
    )
    keys = [key for key in cands[0] if all(key in run for run in [*bases, *cands])]
    left_out = sorted({key[0] for run in [*bases, *cands] for key in run if key not in keys})
    values = np.array([[b[key][0] for key in keys] for b in bases])  # (k, J)
    cand_values = np.array([[c[key][0] for key in keys] for c in cands])  # (m, J)
    with np.errstate(invalid="ignore"):  # inf - inf: a class missed in both runs
        diffs = (
            np.mean([[c[key] for key in keys] for c in cand_draws], axis=0)
            - np.mean([[b[key] for key in keys] for b in base_draws], axis=0)
        ).T  # (R, J)
    return keys, values, cand_values, diffs, left_out


def twins(baselines: Sequence[PerImageMetrics], candidates: Sequence[PerImageMetrics]) -> list[PerImageMetrics]:
    """For each candidate, in order, the baseline trained with its training and data seeds.

    Raises:
      InputError: a run that records no seeds, or a candidate no baseline shares seeds with.
    """
    by_seeds = {}
    for run in baselines:
        if _seeds(run) is None:
            raise InputError(
                "a paired comparison needs runs that record their seeds (unetcheck verify writes them "
                "into per_image.json); a baseline has none"
            )
        by_seeds.setdefault(_seeds(run), run)
    matched = []
    for j, run in enumerate(candidates):
        if _seeds(run) not in by_seeds:
            raise InputError(
                f"candidate {j} (seeds {_seeds(run)}) has no baseline of the same training and data "
                f"seeds; the baselines have {sorted(by_seeds)}"
            )
        matched.append(by_seeds[_seeds(run)])
    return matched


def _paired_intervals(
    keys: list[tuple[str, str | None]],
    values: np.ndarray,
    cand_values: np.ndarray,
    diffs: np.ndarray,
    level: float,
    simultaneous: bool,
    rng: np.random.Generator,
) -> tuple[list[Row], float]:
    """`_intervals` for p >= 2 pairs (row i of `values` and of `cand_values`): the mean paired
    difference, its interval from the pairs' spread and the bootstrap's (max-t for all
    figures at once); counts of images by a sign test over the pairs."""
    p = len(values)
    count_keys = registry.count_keys()
    counts = np.array([key[0] in count_keys for key in keys], bool)
    with np.errstate(invalid="ignore"):
        paired = cand_values - values
    finite = np.isfinite(paired).all(axis=0) & np.isfinite(diffs).any(axis=0) & ~counts
    difference = paired.mean(axis=0)
    low, high, seed_sd = (np.full(len(keys), np.nan) for _ in range(3))
    residuals = (paired - difference)[:, finite]
    seed_sd[finite] = np.sqrt((residuals**2).sum(axis=0) / (p - 1))
    bootstrap = np.nan_to_num(diffs[:, finite] - np.nanmean(diffs[:, finite], axis=0))
    se = np.sqrt(bootstrap.var(axis=0) + seed_sd[finite] ** 2 / p)
    t = (
        _stats.simultaneous_t_paired(residuals, bootstrap, level, rng)
        if simultaneous and finite.any()
        else _stats.student_t_quantile((1 + level) / 2, p - 1)
    )
    low[finite], high[finite] = difference[finite] - t * se, difference[finite] + t * se
    rows = []
    for j, key in enumerate(keys):
        row = Row(
            key[0],
            key[1],
            float(values[:, j].mean()),
            float(cand_values[:, j].mean()),
            float(low[j]),
            float(high[j]),
            False,
            None if np.isnan(seed_sd[j]) else float(seed_sd[j]),
        )
        if counts[j]:  # pairs where the candidate misses (or invents) more images, against fewer
            more, fewer = int((paired[:, j] > 0).sum()), int((paired[:, j] < 0).sum())
            row = dataclasses.replace(row, missed_p=_stats.sign_test_greater(more, fewer))
        rows.append(row)
    return rows, float(2 * _stats.student_t_cdf(t, p - 1) - 1)


def _intervals(
    keys: list[tuple[str, str | None]],
    values: np.ndarray,
    cand_values: np.ndarray,
    diffs: np.ndarray,
    level: float,
    simultaneous: bool,
    rng: np.random.Generator,
) -> tuple[list[Row], float]:
    """Each figure's means, difference and interval (not yet judged), and the level each
    finite interval holds alone. `diffs` (R, J): the bootstrap's differences of the means."""
    k, m = len(values), len(cand_values)
    finite = np.isfinite(values).all(axis=0) & np.isfinite(cand_values).all(axis=0) & np.isfinite(diffs).any(axis=0)
    # Counts of images (a class missed or invented) take whole values, many of them always 0:
    # they set no critical value, and with several runs a side Fisher's test judges them.
    count_keys = registry.count_keys()
    counts = np.array([key[0] in count_keys for key in keys], bool)
    if k + m > 2:
        finite &= ~counts
    means, cand_means = values.mean(axis=0), cand_values.mean(axis=0)
    with np.errstate(invalid="ignore"):
        difference = cand_means - means
    low, high, seed_sd = (np.full(len(keys), np.nan) for _ in range(3))  # nan: no interval, no spread
    if k + m == 2:  # percentile intervals, their tails narrowed together for all figures at once
        tail = _stats.simultaneous_tail(diffs[:, finite & ~counts], level) if simultaneous else (1 - level) / 2
        if finite.any():
            low[finite], high[finite] = np.nanquantile(diffs[:, finite], [tail, 1 - tail], axis=0)
        alone = 1 - 2 * tail
    else:  # Student's t on k + m - 2 degrees of freedom, max-t for all figures at once
        with np.errstate(invalid="ignore"):  # inf - inf in the columns left out
            residuals = np.concatenate([values - means, cand_values - cand_means])[:, finite]
        seed_sd[finite] = np.sqrt((residuals**2).sum(axis=0) / (k + m - 2))
        bootstrap = np.nan_to_num(diffs[:, finite] - np.nanmean(diffs[:, finite], axis=0))
        se = np.sqrt(bootstrap.var(axis=0) + seed_sd[finite] ** 2 * (1 / k + 1 / m))
        t = (
            _stats.simultaneous_t(residuals, bootstrap, k, m, level, rng)
            if simultaneous and finite.any()
            else _stats.student_t_quantile((1 + level) / 2, k + m - 2)
        )
        low[finite], high[finite] = difference[finite] - t * se, difference[finite] + t * se
        alone = 2 * _stats.student_t_cdf(t, k + m - 2) - 1
    return _rows(keys, values, cand_values, low, high, seed_sd), float(alone)


def _rows(
    keys: list[tuple[str, str | None]],
    values: np.ndarray,
    cand_values: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    seed_sd: np.ndarray,
) -> list[Row]:
    """The rows of `_intervals`: each figure's means and interval; with several runs, where
    runs miss a class somewhere, Fisher's test of how many runs a side do so."""
    k, m = len(values), len(cand_values)
    distances, count_keys = registry.distance_keys(), registry.count_keys()
    rows = []
    for j, key in enumerate(keys):
        seed = None if np.isnan(seed_sd[j]) else float(seed_sd[j])
        row = Row(
            key[0],
            key[1],
            float(values[:, j].mean()),
            float(cand_values[:, j].mean()),
            float(low[j]),
            float(high[j]),
            False,
            seed,
        )
        if key[0] in count_keys and k + m > 2:
            # How many images miss (or invent) a class: how often each side's runs do so at
            # all (Fisher's exact test, one-sided), as for an infinite distance below.
            p = _stats.fisher_exact_greater(int((cand_values[:, j] > 0).sum()), m, int((values[:, j] > 0).sum()), k)
            row = dataclasses.replace(row, missed_p=p)
        elif key[0] in distances and k + m > 2 and bool(np.isinf([*values[:, j], *cand_values[:, j]]).any()):
            # Some runs miss a class on an image (an infinite distance): no mean to compare, but
            # how often each side misses it (Fisher's exact test, one-sided).
            p = _stats.fisher_exact_greater(
                int(np.isinf(cand_values[:, j]).sum()), m, int(np.isinf(values[:, j]).sum()), k
            )
            row = dataclasses.replace(row, missed_p=p)
        elif row.difference == np.inf and key[0] in distances:  # the candidate misses a class the baseline found
            row = dataclasses.replace(row, low=float("inf"), high=float("inf"))
        rows.append(row)
    return rows


def _judged(row: Row, level: float, tolerance: float, distance_tolerance: float) -> Row:
    """The row with its verdict: a drop (a rise, for a distance) that its interval excludes
    zero for, and larger than the tolerance."""
    if row.missed_p is not None:
        regressed = row.missed_p < (1 - level) / 2
    elif row.metric in registry.count_keys():  # a whole image more is the smallest rise: any significant one counts
        regressed = bool(not np.isnan(row.low) and row.low > 0)
    elif row.lower_is_better:
        regressed = bool(not np.isnan(row.low) and row.low > 0 and row.difference > distance_tolerance)
    else:
        regressed = bool(np.isfinite(row.high) and row.high < 0 and row.difference < -tolerance)
    return dataclasses.replace(row, regressed=regressed)


def _seeds(run: PerImageMetrics) -> tuple[int, int] | None:
    """(training seed, data seed) where the run records both, else None."""
    training, data = run.seeds.get("training"), run.seeds.get("data")
    return None if training is None or data is None else (int(training), int(data))


def same_seed_notes(baselines: Sequence[PerImageMetrics], candidates: Sequence[PerImageMetrics]) -> list[str]:
    """For each candidate trained with the seeds of a baseline (same test set): identical to it
    on every test image, or by how much at most one image's figure differs. Identical is the
    strongest evidence that a change altered nothing: TensorFlow's deterministic ops make a
    rerun bit-equal on one machine."""
    notes = []
    for j, candidate in enumerate(candidates):
        twin = next((b for b in baselines if _seeds(b) is not None and _seeds(b) == _seeds(candidate)), None)
        if twin is None:
            continue
        which = f"candidate {j}" if len(candidates) > 1 else "the candidate"
        seed = f"baseline seed {_seeds(twin)[0]}"
        if twin.statistics.keys() == candidate.statistics.keys() and all(
            np.array_equal(twin.statistics[k], candidate.statistics[k], equal_nan=True) for k in twin.statistics
        ):
            notes.append(f"{which} is identical to {seed} on every test image")
            continue
        # The region group is always measured: each image's mean IoU, and its pixels predicted otherwise.
        gap = np.abs(
            np.nan_to_num(candidate.figures_per_image()[("miou", None)] - twin.figures_per_image()[("miou", None)])
        )
        moved = (candidate.confusion != twin.confusion).any(axis=(1, 2))
        image = int(np.argmax(gap))
        notes.append(
            f"{which} differs from {seed} (the same seeds) on {int(moved.sum())} of {len(moved)} test "
            f"images, by at most {gap[image]:.4g} in an image's mean IoU ({candidate.names[image]!r})"
        )
    return notes


def _as_runs(runs: PerImageMetrics | Sequence[PerImageMetrics], side: str) -> list[PerImageMetrics]:
    runs = [runs] if isinstance(runs, PerImageMetrics) else list(runs)
    if not runs:
        raise InputError(f"no {side} run given")
    return runs
