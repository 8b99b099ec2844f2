"""The benchmark suites (benchmarks/metrics, benchmarks/pipeline) still run: every benchmark
once, at small sizes, as `make bench` runs them at full size."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.paths import ROOT


@pytest.mark.parametrize("suite, count, summary", [
    # 4 cases x (2 surface + 3 region), 2 evaluate runs, 3 nearest-edge and 2 band methods.
    ("metrics", 27, "unetcheck against its peers"),
    # 2 flips, the input pipeline, 2 training steps, the leakage scan.
    ("pipeline", 6, "pipeline benchmark at 32x32, batch 4, on "),
])
def test_every_benchmark_runs_at_small_sizes(suite, count, summary):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "-q", "--benchmark-disable", "-p", "no:xdist"],
        cwd=ROOT / "benchmarks" / suite, env={**os.environ, "UNETCHECK_BENCH": "smoke"}, capture_output=True,
        text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(rf"\b{count} passed\b", result.stdout), result.stdout[-2000:]
    assert summary in result.stdout, result.stdout[-2000:]
