"""The distributions and tests the regression gate uses, in NumPy alone (the checks stay light:
no SciPy): Student's t, Fisher's exact test, and the critical values that make a table of
intervals hold for all its figures at once."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

#: The bootstrap's resamples and the intervals' level, for the gate and a run's own intervals.
RESAMPLES = 2000
LEVEL = 0.95


def bootstrap_weights(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, n): how often each of n images is drawn in each resample of n draws with
    replacement. The one resampler of the gate and of a run's own intervals: the same seed
    draws the same images."""
    drawn = rng.integers(0, n, (resamples, n))
    weights = np.zeros((resamples, n))
    np.add.at(weights, (np.arange(resamples)[:, None], drawn), 1.0)
    return weights


def student_t_cdf(t: float, df: int) -> float:
    """Student's t distribution function with `df` degrees of freedom (Simpson's rule on the
    density; the normal's from 200 degrees of freedom)."""
    if df >= 200:
        return NormalDist().cdf(t)
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    grid = np.linspace(0.0, abs(t), 4001)
    density = np.exp(log_norm - (df + 1) / 2 * np.log1p(grid**2 / df))
    area = (grid[1] - grid[0]) / 3 * (density[0] + density[-1] + 4 * density[1:-1:2].sum() + 2 * density[2:-1:2].sum())
    return 0.5 + math.copysign(float(area), t)


def student_t_quantile(p: float, df: int) -> float:
    """Student's t quantile: the t whose distribution function with `df` degrees of freedom is `p`."""
    if df >= 200:
        return NormalDist().inv_cdf(p)
    if p < 0.5:
        return -student_t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while student_t_cdf(high, df) < p:
        high *= 2
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if student_t_cdf(middle, df) < p else (low, middle)
    return (low + high) / 2


def fisher_exact_greater(hits: int, draws: int, other_hits: int, other_draws: int) -> float:
    """Fisher's exact test, one-sided: the chance that `draws` runs taken at random from all
    `draws + other_draws` hold `hits` or more of the `hits + other_hits` marked ones."""
    total, marked = draws + other_draws, hits + other_hits
    return sum(
        math.comb(marked, i) * math.comb(total - marked, draws - i) for i in range(hits, min(marked, draws) + 1)
    ) / math.comb(total, draws)


def simultaneous_tail(draws: np.ndarray, level: float) -> float:
    """The tail share g of each column's bootstrap draws `draws` (R, J) such that a share
    `level` of the draws lies within every column's [g, 1 - g] quantiles at once: percentile
    intervals that hold for all J figures together. (1 - level) / 2 for one column; smaller
    the more independent the columns are. Columns with a non-finite draw are left out."""
    draws = draws[:, np.isfinite(draws).all(axis=0)]
    if not draws.size:
        return (1 - level) / 2
    count = len(draws)
    ranks = draws.argsort(axis=0, kind="stable").argsort(axis=0, kind="stable")
    nearest_end = np.minimum(ranks, count - 1 - ranks).min(axis=1)  # each draw's most extreme column
    return min(float(np.quantile(nearest_end, 1 - level, method="lower")) / count, (1 - level) / 2)


def simultaneous_t_paired(
    residuals: np.ndarray, bootstrap: np.ndarray, level: float, rng: np.random.Generator, simulations: int = 10000
) -> float:
    """`simultaneous_t` for p paired differences: the critical value c for intervals
    `mean difference +- c * se`, se counting the bootstrap's variance and the pairs' variance
    over p, that hold for J figures at once. Fake pairs' differences have the covariance of
    `residuals` (p, J: each pair's differences less their mean), each fake se estimated
    afresh on p - 1 degrees of freedom; fake test-image noise is drawn from `bootstrap`."""
    p = len(residuals)
    effects = rng.standard_normal((simulations, p, p)) @ residuals / math.sqrt(p - 1)
    difference = effects.mean(axis=1) + bootstrap[rng.integers(0, len(bootstrap), simulations)]
    spread = ((effects - effects.mean(axis=1, keepdims=True)) ** 2).sum(axis=1) / (p - 1)
    se = np.sqrt(bootstrap.var(axis=0) + spread / p)
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = np.where(se > 0, np.abs(difference) / se, 0.0)
    return float(np.quantile(statistic.max(axis=1), level))


def sign_test_greater(more: int, fewer: int) -> float:
    """The one-sided sign test: the chance of `more` or more of `more + fewer` untied pairs
    going one way when each goes either way with even odds."""
    n = more + fewer
    return sum(math.comb(n, i) for i in range(more, n + 1)) / 2**n if n else 1.0


def simultaneous_t(
    residuals: np.ndarray,
    bootstrap: np.ndarray,
    k: int,
    m: int,
    level: float,
    rng: np.random.Generator,
    simulations: int = 10000,
) -> float:
    """The critical value c for intervals `difference +- c * se` that hold for J figures at
    once, where each figure's se counts a bootstrap's variance and the runs' pooled seed
    variance times (1/k + 1/m), as `regression.compare` does.

    Max-t by simulation: fake runs whose seed effects have the covariance of `residuals`
    (k + m, J: each run's figures minus its side's mean) and fake test-image noise drawn
    from `bootstrap` (R, J, centred), each fake se estimated afresh, so that c holds the
    uncertainty of k + m - 2 degrees of freedom. For one figure with no bootstrap variance
    it is Student's t quantile; for figures that move together it stays near it.
    """
    df = k + m - 2
    effects = rng.standard_normal((simulations, k + m, k + m)) @ residuals / math.sqrt(df)
    base, cand = effects[:, :k], effects[:, k:]
    difference = cand.mean(axis=1) - base.mean(axis=1) + bootstrap[rng.integers(0, len(bootstrap), simulations)]
    spread = (
        ((base - base.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        + ((cand - cand.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    ) / df
    se = np.sqrt(bootstrap.var(axis=0) + spread * (1 / k + 1 / m))
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = np.where(se > 0, np.abs(difference) / se, 0.0)
    return float(np.quantile(statistic.max(axis=1), level))
