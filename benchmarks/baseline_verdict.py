"""Is `unetcheck compare`'s verdict right? False alarms between seeds, planted regressions caught,
another test set refused.

    .venv/bin/python benchmarks/baseline_verdict.py [--baselines 5] [--candidates 10] [--out /tmp/verdict]

Trains the quick preset (`unetcheck verify --quick`) with training seeds 0, 1, ... on one
synthetic data set (`--data-seed 0`, so every run shares one test set); a run whose
`per_image.json` is already in `--out` is reused. At the default tolerance:

1. one baseline run: each consecutive pair of seeds (0-1, 1-2, ...) compared; every
   flagged pair is a false alarm;
2. the first `--baselines` seeds as the baseline, each of the next `--candidates` seeds
   compared with them; every flagged candidate is a false alarm;
3. three planted regressions, each compared with seed 0 alone and with the baselines:
   masks resized bilinearly (then cast) in training only, the encoder left trainable, a
   third of the epochs;
4. one run on another data set (`--data-seed 1`), whose comparison must be refused (exit 2).

Each training runs in a process of its own, about a minute each on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
QUICK_EPOCHS = 10
PLANTED = ("bilinear_masks", "unfrozen_encoder", "third_of_epochs")


def _verify(out: str, seed: int, data_seed: int = 0, planted: str | None = None) -> float:
    args = ["--quick", "--seed", str(seed), "--data-seed", str(data_seed), "--out", out]
    command = ([sys.executable, os.path.abspath(__file__), "--planted", planted, "--"] if planted
               else [sys.executable, "-m", "unetcheck", "verify"])
    if planted == "third_of_epochs":
        command, args = [sys.executable, "-m", "unetcheck", "verify"], args + ["--epochs", str(QUICK_EPOCHS // 3)]
    start = time.perf_counter()
    proc = subprocess.run(command + args, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if not os.path.exists(os.path.join(out, "per_image.json")):
        raise SystemExit(f"verify wrote no per_image.json in {out}:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def _compare(baselines: list[str], candidate: str) -> tuple[int, list[str]]:
    """`unetcheck compare BASELINES... CANDIDATE`: its exit code, and the flagged figures (or why it refused)."""
    report = candidate + f".compare{len(baselines)}.json"
    proc = subprocess.run([sys.executable, "-m", "unetcheck", "compare", *baselines, candidate, "--json", report],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode == 2:
        return 2, [proc.stderr.strip().splitlines()[-1]]
    return proc.returncode, json.load(open(report))["regressed"]


def _planted_main(planted: str, verify_args: list[str]) -> int:
    """One verify run with a planted regression, patched in this process."""
    from unetcheck.job.cli import main

    if planted == "bilinear_masks":
        import tensorflow as tf

        from unetcheck.reference import pipeline

        make = pipeline.make_pipelines

        def bilinear(datapoint, size):  # the tutorial's old step: bilinear, then an integer cast
            image = tf.image.resize(datapoint["image"], (size, size)) / 255.0
            mask = tf.cast(tf.image.resize(datapoint["segmentation_mask"], (size, size)), tf.uint8)
            return image, mask - 1

        def training_only(*args, **kwargs):  # the test set stays the reference's
            good = make(*args, **kwargs)
            original, pipeline.load_image = pipeline.load_image, bilinear
            try:
                bad = make(*args, **kwargs)
            finally:
                pipeline.load_image = original
            return pipeline.Pipelines(bad.train, good.test, good.steps_per_epoch, good.validation_steps,
                                      good.batch_size, good.size)

        import unetcheck.job.run as run

        run.make_pipelines = training_only
    elif planted == "unfrozen_encoder":
        import unetcheck.reference.model as model

        build = model.build_encoder

        def trainable(*args, **kwargs):
            encoder = build(*args, **kwargs)
            encoder.trainable = True
            return encoder

        model.build_encoder = trainable
    return main(["verify", *verify_args])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baselines", type=int, default=5, help="seeds 0 .. N-1 form the baseline")
    parser.add_argument("--candidates", type=int, default=10, help="the next seeds, each compared with them")
    parser.add_argument("--out", default="/tmp/verdict")
    parser.add_argument("--planted", choices=PLANTED, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.planted:
        sys.path.insert(0, ROOT)
        raise SystemExit(_planted_main(args.planted, [a for a in rest if a != "--"]))
    os.makedirs(args.out, exist_ok=True)
    runs = [os.path.join(args.out, f"seed{seed}") for seed in range(args.baselines + args.candidates)]
    for seed, out in enumerate(runs):
        reused = os.path.exists(os.path.join(out, "per_image.json"))
        wall = 0.0 if reused else _verify(out, seed)
        miou = json.load(open(os.path.join(out, "metrics.json")))["miou"]
        print(f"seed {seed}: mIoU {miou:.4f} ({'reused' if reused else f'{wall:.0f} s'})", flush=True)
    pairs = [_compare([a], b) for a, b in zip(runs[:10], runs[1:11])]
    for (code, flagged), a in zip(pairs, runs):
        print(f"  one baseline, {os.path.basename(a)} vs next: exit {code} {flagged}", flush=True)
    print(f"1. one baseline: false alarms in {sum(code == 1 for code, _ in pairs)} of {len(pairs)} pairs", flush=True)
    baselines, candidates = runs[:args.baselines], runs[args.baselines:]
    results = [_compare(baselines, c) for c in candidates]
    for (code, flagged), c in zip(results, candidates):
        print(f"  {len(baselines)} baselines vs {os.path.basename(c)}: exit {code} {flagged}", flush=True)
    print(f"2. {len(baselines)} baselines: false alarms for {sum(code == 1 for code, _ in results)} of "
          f"{len(results)} candidates", flush=True)
    for planted in PLANTED:
        out = os.path.join(args.out, planted)
        if not os.path.exists(os.path.join(out, "per_image.json")):
            _verify(out, 0, planted=planted)
        miou = json.load(open(os.path.join(out, "metrics.json")))["miou"]
        (code_one, one), (code_all, flagged) = _compare(runs[:1], out), _compare(baselines, out)
        print(f"3. {planted}: mIoU {miou:.4f}; against seed 0: exit {code_one}, {len(one)} figures {one[:4]}; "
              f"against {len(baselines)} baselines: exit {code_all}, {len(flagged)} figures {flagged[:6]}", flush=True)
    other = os.path.join(args.out, "other_data")
    if not os.path.exists(os.path.join(other, "per_image.json")):
        _verify(other, 0, data_seed=1)
    code, reason = _compare(runs[:1], other)
    print(f"4. another test set: exit {code}: {reason[0] if reason else ''}", flush=True)


if __name__ == "__main__":
    main()
