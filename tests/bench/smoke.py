"""Runs a benchmark suite of benchmarks/ the way `make bench` does, every benchmark once at
small sizes, and checks it ran them all. One test file for each suite, so that pytest-xdist
(`--dist loadfile`) gives the two to different workers."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.paths import ROOT
from tools.runner import one_thread


def run_suite_once(suite: str, count: int, summary: str) -> None:
    """Runs benchmarks/SUITE with UNETCHECK_BENCH=smoke; `count` benchmarks must pass and the
    terminal summary must contain `summary`."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "-q", "--benchmark-disable", "-p", "no:xdist"],
        cwd=ROOT / "benchmarks" / suite,
        env={**one_thread(os.environ), "UNETCHECK_BENCH": "smoke"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(rf"\b{count} passed\b", result.stdout), result.stdout[-2000:]
    assert summary in result.stdout, result.stdout[-2000:]
