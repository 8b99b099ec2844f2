"""The metrics benchmark's cases and the table of figures it ends with.

Each case's masks are made once per session (`unetcheck.bench.masks`). Every benchmark
records its median time and its peak extra memory (`unetcheck.bench.memory`) under
(case, what, library); the terminal summary sets each library beside unetcheck.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from unetcheck.bench import masks

SMOKE = os.environ.get("UNETCHECK_BENCH") == "smoke"
CASES = masks.SMOKE if SMOKE else masks.CASES
#: (case, measured, library) -> {"median_s": ..., "peak_extra_mb": ...}
RESULTS: dict[tuple[str, str, str], dict[str, float | None]] = {}


HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def case_files(tmp_path_factory):
    """Each case's (truth, prediction) masks, made once, as arrays and as .npy files."""
    made = {}
    folder = tmp_path_factory.mktemp("cases")

    def get(case):
        if case.name not in made:
            truth, pred = masks.case_masks(case)
            paths = (folder / f"{case.name}-truth.npy", folder / f"{case.name}-pred.npy")
            np.save(paths[0], truth)
            np.save(paths[1], pred)
            made[case.name] = (truth, pred, paths)
        return made[case.name]

    return get


@pytest.fixture(scope="session")
def case_data(case_files):
    return lambda case: case_files(case)[:2]


def _peak_memory_mb(fn, case, paths) -> float | None:
    """`fn(truth, pred, case)`'s peak extra memory, in a Python of its own (peak_memory.py)."""
    result = subprocess.run(
        [sys.executable, str(HERE / "peak_memory.py"), f"{fn.__module__}:{fn.__name__}", case.name, *map(str, paths)],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=True,
    )
    value = result.stdout.strip().splitlines()[-1]
    return None if value == "None" else int(value) / 1e6


@pytest.fixture
def measure(benchmark, case_files):
    """Times `fn(truth, pred, case)` on the case's masks (pytest-benchmark, `rounds` rounds) and
    records it, with its peak extra memory (`memory`) measured in a fresh process."""

    def run(case, measured: str, library: str, fn, rounds: int = 3, memory: bool = True, args=None):
        """`args`: what `fn` takes instead of (truth, pred, case); then no memory is measured."""
        benchmark.group = f"{case.name}: {measured}"
        if args is None:
            truth, pred, paths = case_files(case)
            call_args = (truth, pred, case)
        else:
            call_args, memory = args, False
        benchmark.pedantic(
            fn, args=call_args, rounds=1 if SMOKE else rounds, iterations=1, warmup_rounds=0 if SMOKE else 1
        )
        # A smoke run checks the memory measurement once, unetcheck's on the first case: each
        # costs a Python, and a peer's its framework's import (torch: 10-20 s on 2 cores).
        peak = (
            _peak_memory_mb(fn, case, paths)
            if memory and (not SMOKE or (case == CASES[0] and library == "unetcheck"))
            else None
        )
        stats = getattr(benchmark, "stats", None)
        benchmark.extra_info["peak_extra_mb"] = peak
        RESULTS[(case.name, measured, library)] = {
            "median_s": stats.stats.median if stats is not None else None,
            "peak_extra_mb": peak,
        }

    return run


def cpu() -> str:
    """The CPU's model name and its widest vector extension, as every figure is stated."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.machine()
    name = next(
        (line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
        platform.machine(),
    )
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{name}, {vector}"


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    write = terminalreporter.write_line
    write("")
    write(
        f"unetcheck against its peers ({cpu()}, {os.cpu_count()} CPUs; "
        "time: median of the rounds; memory: peak beyond the process's before the call)"
    )
    grouped = defaultdict(dict)
    for (case, measured, library), figures in RESULTS.items():
        grouped[(case, measured)][library] = figures
    for (case, measured), libraries in grouped.items():
        ours = libraries.get("unetcheck", {})
        for library, figures in sorted(libraries.items()):
            line = f"  {case:<22} {measured:<26} {library:<22}"
            if figures["median_s"] is not None:
                line += f" {figures['median_s']:9.3f} s"
                if library != "unetcheck" and ours.get("median_s"):
                    line += f"  unetcheck {figures['median_s'] / ours['median_s']:6.1f}x faster"
            if figures["peak_extra_mb"] is not None:
                line += f"  peak +{figures['peak_extra_mb']:8.1f} MB"
            write(line)
