"""The regression gate as a check: `assert_no_regression` fails where `unetcheck.metrics.regression.compare`
finds a figure that regressed."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from unetcheck._core import check
from unetcheck.metrics.per_image import PerImageMetrics
from unetcheck.metrics.regression import DISTANCE_TOLERANCE, LEVEL, RESAMPLES, TOLERANCE, compare


@check
def assert_no_regression(
    *args: Any,
    baseline: PerImageMetrics | Sequence[PerImageMetrics] | None = None,
    candidate: PerImageMetrics | Sequence[PerImageMetrics] | None = None,
    tolerance: float = TOLERANCE,
    resamples: int = RESAMPLES,
    level: float = LEVEL,
    seed: int = 0,
    distance_tolerance: float = DISTANCE_TOLERANCE,
    simultaneous: bool = True,
) -> None:
    """Checks that no metric of `candidate` dropped below `baseline` significantly and by more
    than `tolerance`, by a paired bootstrap over the same test images (see `compare`).

    Examples:
        >>> import numpy as np
        >>> from unetcheck.metrics import per_image_metrics
        >>> truth = np.random.default_rng(0).integers(0, 2, (20, 8, 8))
        >>> worse = np.where(np.random.default_rng(1).uniform(size=truth.shape) < 0.3, 1 - truth, truth)
        >>> baseline = per_image_metrics(truth, truth, 2)
        >>> assert_no_regression(baseline=baseline, candidate=baseline)
        >>> assert_no_regression(baseline=baseline, candidate=per_image_metrics(truth, worse, 2))
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_no_regression] ... figure(s) regressed (paired bootstrap, 20 images, 2000 ...

    Args:
      baseline: one run's `PerImageMetrics`, or several runs' (other seeds, same data), which
        adds training noise to the verdict.
      candidate: `PerImageMetrics` (`unetcheck.metrics.per_image_metrics`, or
        `PerImageMetrics.load` of what `unetcheck verify` wrote), or several runs' (the
        change trained with other seeds), compared by their mean.
      simultaneous: intervals that hold for all figures at once (see `compare`).
      *args: deprecated: `(candidate, baseline)` by position, the reverse of `compare`'s
        order; it warns. Pass both by keyword.

    Raises:
      AssertionError: each regressed figure, its drop and interval.
      ValueError: artifacts from different test sets.
    """
    baseline, candidate = _runs(args, baseline, candidate)
    comparison = compare(baseline, candidate, tolerance, resamples, level, seed, distance_tolerance, simultaneous)
    if comparison.regressions:
        raise AssertionError(
            f"{len(comparison.regressions)} figure(s) regressed (paired bootstrap, {comparison.images} images, "
            f"{resamples} resamples, {level:.0%} interval{'s for all figures at once' if simultaneous else ''}, "
            f"tolerance {tolerance}): "
            + "; ".join(
                f"{row.label} {row.baseline:.4f} -> {row.candidate:.4f} ({row.difference:+.4f}, "
                f"interval [{row.low:+.4f}, {row.high:+.4f}])"
                for row in comparison.regressions
            )
        )


def _runs(args: tuple, baseline: Any, candidate: Any) -> tuple[Any, Any]:
    """(baseline, candidate) from `assert_no_regression`'s keywords, or from its deprecated
    positional `(candidate, baseline)`."""
    if args:
        if len(args) != 2 or baseline is not None or candidate is not None:
            raise TypeError("assert_no_regression takes baseline= and candidate= by keyword")
        warnings.warn(
            "assert_no_regression(candidate, baseline) by position is deprecated (compare takes "
            "the reverse order): pass baseline= and candidate= by keyword",
            DeprecationWarning,
            stacklevel=4,
        )
        candidate, baseline = args
    if baseline is None or candidate is None:
        raise TypeError("assert_no_regression needs baseline= and candidate=")
    return baseline, candidate
