"""The metrics benchmark suite (benchmarks/metrics) still runs."""

import pytest

from tests.bench.smoke import run_suite_once

pytestmark = pytest.mark.long  # a benchmark suite in a Python of its own: started first (conftest.py)


def test_every_metrics_benchmark_runs_at_small_sizes():
    # 4 cases x (2 surface + 3 region), 2 evaluate runs, 3 nearest-edge and 2 band methods, 3 against the
    # Cityscapes evaluator and 2 on the CT volume of 41 organs.
    run_suite_once("metrics", 32, "unetcheck against its peers")
