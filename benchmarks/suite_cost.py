"""The test suite's cost in forms that compare across machines: wall seconds x fp32 matmul
GFLOP/s (TFLOP-equivalents) and wall seconds / seconds per model build (build-equivalents),
per stage, and per test file.

    .venv/bin/python benchmarks/suite_cost.py [--stage default|stage2|both] [--json FILE] [-- PYTEST ARGS]
    .venv/bin/python benchmarks/suite_cost.py --against ../older-checkout --rounds 3 [--stage ...]

Runs the default suite (`pytest`) and the second stage (`pytest -m "backends or distributed"`)
as `make test` does, and measures fp32 matmul GFLOP/s the way `unetcheck bench` does
(best of 3 timings of a 2048 x 2048 `tf.matmul`) before and after each stage, in a
process of its own; the best measurement is the machine's rate. A suite whose time is
arithmetic costs about the same TFLOP-equivalents on a fast machine and a slow one.
Per test file: the sum of its tests' durations (setup, call, teardown) from pytest's
`--durations=0`; with 2 workers these add up to about twice the wall time. CPU seconds
are the user + system time of pytest and every process it waited for.

The suite's own work is mostly Python building layers and tracing graphs, one core per
worker, which the matmul rate does not measure (docs/performance.md: capping oneDNN at AVX2
cut the matmul rate 43% and moved the suite's time 0-9%). So each stage is also stated in
*build-equivalents*: wall seconds / seconds to build the 32x32 reference `unet_model`
(warm, best of 5, in the same probe process as the matmul), the suite's commonest unit of
work, which moves with the CPU's single-thread speed as the suite does.

A shared machine's speed drifts by a fifth within an hour, so two versions of the suite
compare only when timed alternately: `--against CHECKOUT` runs each stage there and here
in turn, `--rounds` times (with this interpreter: the checkout must need the same packages;
`python -m pytest` imports the `unetcheck` of the folder it runs in).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
STAGES = {"default": [], "stage2": ["-m", "backends or distributed"]}
_DURATION = re.compile(r"^\s*([\d.]+)s (?:setup|call|teardown)\s+(\S+?)::")
_PROBE = """
import time
from unetcheck.bench.machine import matmul_gflops
from unetcheck.reference.model import unet_model
unet_model(input_size=32)  # warm: the first build also imports and initializes
builds = []
for _ in range(5):
    start = time.perf_counter()
    unet_model(input_size=32)
    builds.append(time.perf_counter() - start)
print(matmul_gflops(), min(builds))
"""


def _probe() -> tuple[float, float]:
    """(fp32 matmul GFLOP/s, seconds per warm 32x32 `unet_model` build), in a process of its own."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    gflops, build = proc.stdout.strip().splitlines()[-1].split()
    return float(gflops), float(build)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_stage(name: str, extra: list[str], root: str = ROOT) -> dict:
    """One stage's wall and CPU time, outcome line, per-file seconds, and the matmul rate and
    build time measured before and after it."""
    before = _probe()
    start, cpu = time.perf_counter(), _cpu_seconds()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--durations=0", "-p", "no:randomly",
                           *STAGES[name], *extra], cwd=root, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    after = _probe()
    per_file: dict[str, float] = collections.defaultdict(float)
    for line in proc.stdout.splitlines():
        match = _DURATION.match(line)
        if match:
            per_file[match.group(2)] += float(match.group(1))
    outcome = next((line.strip("= ") for line in reversed(proc.stdout.splitlines()) if " in " in line), "?")
    gflops, build = max(before[0], after[0]), min(before[1], after[1])
    return {"stage": name, "root": os.path.abspath(root), "wall_s": wall, "cpu_s": cpu, "matmul_gflops": gflops,
            "matmul_samples": [before[0], after[0]], "build_s": build, "build_samples": [before[1], after[1]],
            "tflop_equivalents": wall * gflops / 1000, "build_equivalents": wall / build,
            "exit": proc.returncode, "outcome": outcome,
            "per_file_s": dict(sorted(per_file.items(), key=lambda kv: -kv[1]))}


def _print(result: dict, label: str, per_file: bool) -> None:
    print(f"{label}: {result['wall_s']:.0f} s wall ({result['cpu_s']:.0f} s CPU) x {result['matmul_gflops']:.0f} "
          f"GFLOP/s = {result['tflop_equivalents']:.1f} TFLOP-equivalents; / {result['build_s']:.2f} s per build "
          f"= {result['build_equivalents']:.0f} build-equivalents ({result['outcome']}; matmul "
          f"{', '.join(f'{g:.0f}' for g in result['matmul_samples'])}, builds "
          f"{', '.join(f'{b:.2f}' for b in result['build_samples'])} s)", flush=True)
    if per_file:
        for path, seconds in result["per_file_s"].items():
            print(f"  {seconds:7.1f} s  {path}")


def main() -> None:
    from unetcheck.reference.onednn import prefer_onednn

    prefer_onednn()  # the suite's conftest.py asks for it too; the probe measures what the suite runs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=("default", "stage2", "both"), default="both")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--against", metavar="CHECKOUT", help="another checkout, timed alternately with this one")
    parser.add_argument("--rounds", type=int, default=1, help="with --against: runs of each, alternating")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    stages = ["default", "stage2"] if args.stage == "both" else [args.stage]
    roots = {"this": ROOT, **({"against": args.against} if args.against else {})}
    results = []
    for name in stages:
        for round_ in range(args.rounds if args.against else 1):
            for label, root in roots.items():
                result = run_stage(name, extra, root)
                results.append({**result, "label": label, "round": round_})
                _print(result, f"{name} {label}" if args.against else name, per_file=not args.against)
        if args.against:
            for label in roots:
                mine = [r for r in results if r["stage"] == name and r["label"] == label]
                print(f"{name} {label}, median of {len(mine)}: "
                      f"{statistics.median(r['wall_s'] for r in mine):.0f} s wall, "
                      f"{statistics.median(r['cpu_s'] for r in mine):.0f} s CPU, "
                      f"{statistics.median(r['tflop_equivalents'] for r in mine):.1f} TFLOP-equivalents, "
                      f"{statistics.median(r['build_equivalents'] for r in mine):.0f} build-equivalents")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
