"""The metrics benchmark suite (benchmarks/metrics) still runs."""

from tests.bench.smoke import run_suite_once


def test_every_metrics_benchmark_runs_at_small_sizes():
    # 4 cases x (2 surface + 3 region), 2 evaluate runs, 3 nearest-edge and 2 band methods.
    run_suite_once("metrics", 27, "unetcheck against its peers")
