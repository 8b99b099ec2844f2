"""The pipeline benchmark suite (benchmarks/pipeline) still runs."""

import pytest

from tests.bench.smoke import run_suite_once

pytestmark = pytest.mark.long  # a benchmark suite in a Python of its own: started first (conftest.py)


def test_every_pipeline_benchmark_runs_at_small_sizes():
    # 2 flips, the input pipeline, the leakage scan.
    run_suite_once("pipeline", 4, "pipeline benchmark at 32x32, batch 4, on ")
