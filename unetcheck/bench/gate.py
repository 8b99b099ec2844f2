"""How well the regression gate sees a change, measured on recorded runs (docs/baseline.md): the
noise of same-seed pairs against unpaired runs, and the gate's false alarms and power.

    python -m unetcheck.bench.gate RUNS        # RUNS/base/S, RUNS/CHANGE/S: verify --out folders

`RUNS/base/S` are runs of the baseline with training seed S; every other folder of `RUNS`
holds runs of one change, trained with the same seeds (`RUNS/half/3`: seed 3 of the change).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from unetcheck.checks.per_image import PerImageMetrics

#: The figures the pairing table shows: overall mIoU and each class's IoU.
TABLE_KEYS = ("miou", "iou")


def load_runs(folder: str) -> dict[str, dict[int, PerImageMetrics]]:
    """`{change: {seed: run}}` of the verify folders under `folder` (`base` is the baseline)."""
    runs: dict[str, dict[int, PerImageMetrics]] = {}
    for change in sorted(os.listdir(folder)):
        path = os.path.join(folder, change)
        if not os.path.isdir(path):
            continue
        for seed in sorted(os.listdir(path)):
            if os.path.isfile(os.path.join(path, seed, "per_image.json")):
                runs.setdefault(change, {})[int(seed)] = PerImageMetrics.load(os.path.join(path, seed))
    return runs


def figure(run: PerImageMetrics, key: str, class_name: str | None = None) -> float:
    summary = run.summary()
    return float(summary[key] if class_name is None else summary[key][class_name])


@dataclasses.dataclass(frozen=True)
class Pairing:
    """One figure under one change, over the seeds both sides ran: the mean shift, the
    correlation of same-seed results, and the SD of paired and of unpaired differences."""

    change: str
    label: str
    seeds: int
    shift: float
    correlation: float
    paired_sd: float
    unpaired_sd: float


def pairing(runs: Mapping[str, Mapping[int, PerImageMetrics]], change: str) -> list[Pairing]:
    """The pairing table's rows for `change` against `base`: mIoU, then each class's IoU."""
    seeds = sorted(set(runs["base"]) & set(runs[change]))
    others = sorted(runs["base"])
    first = runs["base"][seeds[0]]
    labels = [("miou", None)] + [("iou", c) for c in first.class_names]
    rows = []
    for key, class_name in labels:
        base = np.array([figure(runs["base"][s], key, class_name) for s in seeds])
        cand = np.array([figure(runs[change][s], key, class_name) for s in seeds])
        every_base = np.array([figure(runs["base"][s], key, class_name) for s in others])
        # Unpaired: a candidate against a baseline of another seed, every such pair.
        crossed = np.array([c - b for i, c in enumerate(cand) for s, b in zip(others, every_base) if s != seeds[i]])
        rows.append(Pairing(change, key if class_name is None else f"IoU[{class_name}]", len(seeds),
                            float((cand - base).mean()), float(np.corrcoef(base, cand)[0, 1]),
                            float((cand - base).std(ddof=1)), float(crossed.std(ddof=1))))
    return rows


def planted(run: PerImageMetrics, drop: float) -> PerImageMetrics:
    """`run` with a share `drop` of every class's correct pixels moved to the next class, in
    every image: a regression that moves mIoU by about `drop` and every image alike."""
    confusion = run.confusion.astype(np.float64)
    k = confusion.shape[-1]
    moved = np.floor(np.einsum("nkk->nk", confusion) * drop)
    out = confusion.copy()
    for c in range(k):
        out[:, c, c] -= moved[:, c]
        out[:, c, (c + 1) % k] += moved[:, c]
    return dataclasses.replace(run, statistics={**run.statistics, "confusion": out.astype(np.int64)})


def flag_rate(draws: Sequence[tuple[list[PerImageMetrics], list[PerImageMetrics]]],
              judge: Callable[..., object], on: str | None = None) -> float:
    """The share of (baselines, candidates) draws whose comparison regressed (on figure `on`
    alone, or on any)."""
    flagged = 0
    for baselines, candidates in draws:
        regressions = judge(baselines, candidates).regressions
        flagged += any(on is None or (row.metric == on and row.class_name is None) for row in regressions)
    return flagged / max(len(draws), 1)


def _format(rows: Sequence[Pairing]) -> str:
    lines = ["| change | figure | seeds | mean shift | same-seed correlation | SD of paired differences | "
             "SD of unpaired differences | paired / unpaired |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r.change} | {r.label} | {r.seeds} | {r.shift:+.4f} | {r.correlation:.2f} | {r.paired_sd:.4f} | "
              f"{r.unpaired_sd:.4f} | {r.paired_sd / r.unpaired_sd:.2f} |" for r in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unetcheck.bench.gate", description=__doc__)
    parser.add_argument("runs", help="a folder of base/SEED and CHANGE/SEED verify folders")
    args = parser.parse_args(argv)
    runs = load_runs(args.runs)
    changes = [c for c in runs if c != "base" and len(set(runs[c]) & set(runs["base"])) >= 3]
    print(_format([row for change in changes for row in pairing(runs, change)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
