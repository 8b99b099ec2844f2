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

from unetcheck.metrics.per_image import PerImageMetrics
from unetcheck.metrics.regression import compare

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
        rows.append(
            Pairing(
                change,
                key if class_name is None else f"IoU[{class_name}]",
                len(seeds),
                float((cand - base).mean()),
                float(np.corrcoef(base, cand)[0, 1]),
                float((cand - base).std(ddof=1)),
                float(crossed.std(ddof=1)),
            )
        )
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


def flag_rate(
    draws: Sequence[tuple[list[PerImageMetrics], list[PerImageMetrics]]],
    judge: Callable[..., object],
    on: str | None = None,
) -> float:
    """The share of (baselines, candidates) draws whose comparison regressed (on figure `on`
    alone, or on any)."""
    flagged = 0
    for baselines, candidates in draws:
        regressions = judge(baselines, candidates).regressions
        flagged += any(on is None or (row.metric == on and row.class_name is None) for row in regressions)
    return flagged / max(len(draws), 1)


def _format(rows: Sequence[Pairing]) -> str:
    lines = [
        "| change | figure | seeds | mean shift | same-seed correlation | SD of paired differences | "
        "SD of unpaired differences | paired / unpaired |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r.change} | {r.label} | {r.seeds} | {r.shift:+.4f} | {r.correlation:.2f} | {r.paired_sd:.4f} | "
        f"{r.unpaired_sd:.4f} | {r.paired_sd / r.unpaired_sd:.2f} |"
        for r in rows
    ]
    return "\n".join(lines)


def _format_power(rows: Sequence[Power]) -> str:
    drops, changes = list(rows[0].planted), list(rows[0].changes)
    lines = [
        "| pairs | paired | false alarms: any figure | mIoU | "
        + " | ".join(f"mIoU flagged at planted drop {d:g}" for d in drops)
        + " | "
        + " | ".join(f"{c}: flagged" for c in changes)
        + " |",
        "| --- " * (4 + len(drops) + len(changes)) + "|",
    ]
    lines += [
        f"| {r.pairs} | {'yes' if r.paired else 'no'} | {r.false_any:.0%} | {r.false_miou:.0%} | "
        + " | ".join(f"{r.planted[d]:.0%}" for d in drops)
        + " | "
        + " | ".join(f"{r.changes[c]:.0%}" for c in changes)
        + " |"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unetcheck.bench.gate", description=__doc__)
    parser.add_argument("runs", help="a folder of base/SEED and CHANGE/SEED verify folders")
    parser.add_argument(
        "--null", help="the change that alters nothing (its runs are the false alarms' trials), then --power's study"
    )
    parser.add_argument("--pairs", type=int, nargs="+", default=[1, 2, 3, 5])
    parser.add_argument("--trials", type=int, default=40)
    args = parser.parse_args(argv)
    runs = load_runs(args.runs)
    changes = [c for c in runs if c != "base" and len(set(runs[c]) & set(runs["base"])) >= 3]
    print(_format([row for change in changes for row in pairing(runs, change)]))
    if args.null:
        faults = [c for c in changes if c != args.null]
        rows = [
            power(runs, args.null, faults, p, paired, trials=args.trials)
            for p in args.pairs
            for paired in (True, False)
        ]
        print()
        print(_format_power(rows))
    return 0


@dataclasses.dataclass(frozen=True)
class Power:
    """How often `compare` flags, over trials that draw `pairs` seeds: with no change (the
    null change's runs), on mIoU with a planted drop, and for each real change (any figure)."""

    pairs: int
    paired: bool
    false_any: float
    false_miou: float
    planted: dict[float, float]
    changes: dict[str, float]


def power(
    runs: Mapping[str, Mapping[int, PerImageMetrics]],
    null: str,
    faults: Sequence[str],
    pairs: int,
    paired: bool = True,
    drops: Sequence[float] = (0.02, 0.03, 0.04),
    trials: int = 40,
) -> Power:
    """The gate's false alarms and power with `pairs` candidate runs, each with its baseline of
    the same seeds (`paired`), or with as many baselines of other seeds (unpaired)."""
    rng = np.random.default_rng(pairs)
    seeds = sorted(set(runs["base"]) & set(runs[null]))
    others = sorted(runs["base"])

    def draws(change: str, drop: float = 0.0) -> list[tuple[list[PerImageMetrics], list[PerImageMetrics]]]:
        out = []
        for _ in range(trials):
            chosen = rng.choice(sorted(set(seeds) & set(runs[change])), pairs, replace=False)
            rest = [s for s in others if s not in chosen]
            bases = list(chosen) if paired else list(rng.choice(rest, pairs, replace=False))
            candidates = [runs[change][s] if not drop else planted(runs[change][s], drop) for s in chosen]
            out.append(([runs["base"][s] for s in bases], candidates))
        return out

    def judge(baselines, candidates):
        return compare(baselines, candidates, paired=paired, seed=int(rng.integers(1 << 30)))

    null_draws = draws(null)
    return Power(
        pairs,
        paired,
        flag_rate(null_draws, judge),
        flag_rate(null_draws, judge, "miou"),
        {drop: flag_rate(draws(null, drop), judge, "miou") for drop in drops},
        {change: flag_rate(draws(change), judge) for change in faults},
    )


if __name__ == "__main__":
    raise SystemExit(main())
