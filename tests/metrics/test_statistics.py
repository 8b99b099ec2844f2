"""The gate's statistics against values from outside the code: printed tables, exact
combinatorics, and the closed forms for independent figures (Sidak)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from unetcheck.metrics._statistics import (
    fisher_exact_greater,
    simultaneous_t,
    simultaneous_tail,
    student_t_cdf,
    student_t_quantile,
)


def test_student_t_quantiles_and_distribution():
    # Tabulated values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
    for df, expected in ((1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (30, 2.042)):
        assert student_t_quantile(0.975, df) == pytest.approx(expected, abs=1e-3)
        assert student_t_cdf(expected, df) == pytest.approx(0.975, abs=1e-4)
    assert student_t_quantile(0.025, 4) == pytest.approx(-2.776, abs=1e-3)
    assert student_t_quantile(0.95, 1000) == pytest.approx(1.645, abs=1e-3)
    assert student_t_cdf(1.0, 1) == pytest.approx(0.75)  # Cauchy: 1/2 + arctan(1)/pi


def test_fisher_exact_test():
    # Fisher's lady tasting tea: all 4 milk-first cups picked out of 8, p = 1/C(8,4) = 1/70.
    assert fisher_exact_greater(4, 4, 0, 4) == pytest.approx(1 / 70)
    # 3 of 4 picked: (C(4,3) C(4,1) + 1) / 70 = 17/70.
    assert fisher_exact_greater(3, 4, 1, 4) == pytest.approx(17 / 70)
    assert fisher_exact_greater(0, 3, 2, 5) == 1.0
    assert fisher_exact_greater(1, 1, 0, 10) == pytest.approx(1 / 11)  # one run of eleven


def _sidak(level: float, figures: int) -> float:
    """The two-sided normal critical value for `figures` independent figures at once."""
    return NormalDist().inv_cdf((1 + level ** (1 / figures)) / 2)


def test_max_t_for_one_figure_is_students_t():
    # One figure, no test-image noise: the statistic is exactly t on k + m - 2 degrees of
    # freedom, so the simulated critical value is t's quantile up to Monte Carlo error
    # (10,000 simulations: measured over ten seeds, standard deviation 0.025 at 4 degrees of
    # freedom; 0.1 is four). A plain normal quantile (1.96) would be 0.8 off.
    residuals = np.random.default_rng(0).normal(size=(6, 1))
    critical = simultaneous_t(residuals, np.zeros((500, 1)), 3, 3, 0.95, np.random.default_rng(1))
    assert critical == pytest.approx(student_t_quantile(0.975, 4), abs=0.1)


def test_max_t_widens_for_independent_figures_and_not_for_copies():
    # Test-image noise only (no seed spread): 20 independent figures need Sidak's critical
    # value, 3.02 at 95%, against 1.96 for one (simulation error: standard deviation 0.010
    # over ten seeds, measured; 0.05 allowed).
    rng = np.random.default_rng(0)
    bootstrap = rng.normal(size=(20000, 20))
    critical = simultaneous_t(np.zeros((4, 20)), bootstrap, 2, 2, 0.95, np.random.default_rng(1))
    assert critical == pytest.approx(_sidak(0.95, 20), abs=0.05)
    # The same figure twenty times is one figure: exactly the critical value of one.
    residuals = rng.normal(size=(4, 1))
    one = simultaneous_t(residuals, bootstrap[:, :1], 2, 2, 0.95, np.random.default_rng(2))
    copies = simultaneous_t(
        np.repeat(residuals, 20, axis=1), np.repeat(bootstrap[:, :1], 20, axis=1), 2, 2, 0.95, np.random.default_rng(2)
    )
    assert copies == pytest.approx(one, rel=1e-12)


def test_simultaneous_percentile_tails():
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(20000, 20))
    # One figure: the usual 2.5% in each tail (to a draw's rank); copies of it: the same.
    assert simultaneous_tail(draws[:, :1], 0.95) == pytest.approx(0.025, abs=2e-4)
    assert simultaneous_tail(np.repeat(draws[:, :1], 5, axis=1), 0.95) == simultaneous_tail(draws[:, :1], 0.95)
    # 20 independent figures: Sidak's tail, (1 - 0.95 ** (1/20)) / 2 = 0.00128, about 26 draws
    # of 20,000 in each tail; the tail is a whole number of draws (one is 4% of it), and ten
    # seeds all gave 25: 10% allowed. One figure's 2.5% would be twenty times too wide.
    sidak = (1 - 0.95 ** (1 / 20)) / 2
    assert simultaneous_tail(draws, 0.95) == pytest.approx(sidak, rel=0.1)
    assert simultaneous_tail(np.full((100, 2), np.nan), 0.9) == pytest.approx(0.05)  # nothing finite to calibrate
    assert math.isclose(_sidak(0.95, 1), 1.959964, rel_tol=1e-6)
