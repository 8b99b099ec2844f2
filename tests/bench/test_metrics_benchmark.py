"""The metrics benchmark (benchmarks/metrics) still runs: every benchmark once, on small
masks, as `make bench-metrics` runs it on the full ones."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.paths import ROOT

BENCHMARKS = ROOT / "benchmarks" / "metrics"


def test_every_benchmark_runs_on_small_masks():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "-q", "--benchmark-disable", "-p", "no:xdist"],
        cwd=BENCHMARKS, env={**os.environ, "UNETCHECK_BENCH": "smoke"}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # 4 cases x (2 surface + 3 region), 2 evaluate runs, 3 nearest-edge and 2 band methods.
    assert re.search(r"\b27 passed\b", result.stdout), result.stdout[-2000:]
    assert "unetcheck against its peers" in result.stdout and "monai" in result.stdout
