"""`unetcheck bench`: training speed of the tutorial's literal steps, the stock reference and the
fast layers, against the roofline.

Everything is measured in one process and one run, since absolute figures drift on a
shared machine: the model's FLOPs per image from TensorFlow's profiler, for each path
and batch size the training, predict and input-pipeline images per second (median of
timed windows, warm-up excluded) and the peak RSS, and fp32 matmul GFLOP/s before the
windows and after each batch size's (the best is the roofline's peak).
Never part of the test suite.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from unetcheck.bench.literal import literal_pipeline
from unetcheck.bench.machine import REPORTED_FLAGS, matmul_gflops, model_flops, native_bfloat16
from unetcheck.hardware import cpu_flags, cpu_model
from unetcheck.metrics import strict_json
from unetcheck.reference.model import unet_model
from unetcheck.reference.onednn import onednn_enabled
from unetcheck.reference.pipeline import make_pipelines
from unetcheck.reference.precision import check_precision, precision
from unetcheck.reference.sources import synthetic_pets
from unetcheck.reference.train import compile_model

BATCH_SIZES = (8, 16, 32, 64)
#: literal: the tutorial's code as written; stock: the reference (our pipeline, the tutorial's
#: layer graph); fast: our pipeline and the fast layers; fast_bf16: that in mixed_bfloat16, an
#: inexact opt-in, reported beside and never in a speedup.
PATHS = ("literal", "stock", "fast", "fast_bf16")


class _EpochTimer(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.times.append(time.perf_counter() - self._start)


class CallSpan(keras.callbacks.Callback):
    """When a `fit` or `predict` call's work began and ended, by its callbacks: without
    the deletion of Keras's tf.data iterator after the end (docs/performance.md, "What makes it faster")."""

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.begin = time.perf_counter()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.end = time.perf_counter()

    on_predict_begin = on_train_begin
    on_predict_end = on_train_end


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _pipeline_rate(dataset: Any, batch_size: int, batches: int) -> float:
    it = iter(dataset)
    for _ in range(3):
        next(it)
    start = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches * batch_size / (time.perf_counter() - start)


class BenchPath:
    """One of `PATHS` at one batch size, built and warmed up: its pipeline (`train`),
    compiled model (`model`) and timings. The scripts in `benchmarks/` profile the same
    warmed-up paths."""

    def __init__(self, path: str, source: Any, size: int, batch_size: int, steps: int) -> None:
        if path not in PATHS:
            raise ValueError(f"path must be one of {PATHS}; got {path!r}")
        keras.utils.set_random_seed(0)
        if path == "literal":
            self.train = literal_pipeline(source, size, batch_size)
        else:
            self.train = make_pipelines(source, size=size, batch_size=batch_size, seed=0).train
        with precision("mixed_bfloat16" if path == "fast_bf16" else "float32"):
            self.model = compile_model(unet_model(input_size=size, fast=path.startswith("fast")))
        self.batch_size, self.steps = batch_size, steps
        self.timer = _EpochTimer()
        self.predict_times: list[float] = []
        # Warm-up epoch and predict (tracing, thread pools, the cache filled), not timed.
        self.model.fit(self.train, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
        self.images = next(iter(self.train))[0]
        self.model.predict(self.images, batch_size=batch_size, verbose=0)

    def window(self) -> float:
        """Trains one timed window of `steps` steps; returns its images/s."""
        self.model.fit(
            self.train, epochs=1, steps_per_epoch=self.steps, callbacks=[self.timer], verbose=0, shuffle=False
        )
        return self.steps * self.batch_size / self.timer.times[-1]

    def predict_window(self) -> None:
        """Times one `predict` of a training batch, from its begin to its end callback: after
        the end, deleting Keras's own tf.data iterator waits for the autotuner, which made
        the figure swing between windows (docs/performance.md, "What makes it faster")."""
        timer = CallSpan()
        self.model.predict(self.images, batch_size=self.batch_size, verbose=0, callbacks=[timer])
        self.predict_times.append(timer.end - timer.begin)

    def figures(self, windows: int) -> dict[str, float]:
        rates = [self.steps * self.batch_size / t for t in self.timer.times]
        return {
            "train_img_s": statistics.median(rates),
            "train_img_s_windows": rates,
            "predict_img_s": len(self.images) / statistics.median(self.predict_times),
            "pipeline_img_s": _pipeline_rate(self.train, self.batch_size, max(self.steps * windows, 8)),
            "peak_rss_mb": _peak_rss_mb(),
        }


def measure_batch(
    source: Any, size: int, batch_size: int, windows: int, steps: int, paths: tuple[str, ...] = PATHS[:3]
) -> dict[str, dict[str, float]]:
    """Every path at one batch size, their timed windows interleaved.

    Windows alternate between paths, in a rotated order, so that a drift of the shared
    machine falls on every path alike; each path's figure is the median of its windows,
    each timed by epoch callbacks (the literal pipeline's tf.data autotuner delays the
    end of `fit`, docs/performance.md, "What makes it faster"). Predict windows alternate the same way.
    """
    built = {path: BenchPath(path, source, size, batch_size, steps) for path in paths}
    # One more untimed window each, after all are built: a path's first window after the
    # others' warm-up ran at a third to a half of its speed, every time, for whichever
    # paths were built first.
    for path in paths:
        built[path].window()
        built[path].timer.times.clear()
    rotated = [paths[w % len(paths) :] + paths[: w % len(paths)] for w in range(windows)]
    for order in rotated:
        for path in order:
            built[path].window()
    for order in rotated:
        for path in order:
            built[path].predict_window()
    return {path: built[path].figures(windows) for path in paths}


def bench_plan(
    quick: bool, batch_sizes: tuple[int, ...], bf16: bool | None, flags: frozenset[str]
) -> tuple[tuple[str, ...], int, int, tuple[int, ...], bool]:
    """What a bench run times: (paths, windows, steps per window, batch sizes, bf16 timed).

    The bfloat16 path only where the CPU computes bfloat16 natively, unless `bf16` says;
    `--quick`: the headline pair (the tutorial's code and the fast layers) at batch 8 and 64,
    in 3 windows of one step.
    """
    if bf16 is None:
        bf16 = native_bfloat16(flags)
    paths = tuple(p for p in PATHS if (bf16 or p != "fast_bf16") and not (quick and p == "stock"))
    windows, steps = (3, 1) if quick else (7, 4)
    if quick:
        batch_sizes = tuple(b for b in batch_sizes if b in (8, 64)) or batch_sizes
    return paths, windows, steps, batch_sizes, bf16


def _measure_paths(
    plan: tuple, flops: dict[str, dict[str, float]], matmul: list[float], log: Callable[[str], None]
) -> dict[str, dict[str, dict[str, float]]]:
    """Every path at every batch size of `plan` (size, batch sizes, windows, steps, paths):
    `{path: {batch size: figures}}`; the matmul rate measured again after each batch size."""
    size, batch_sizes, windows, steps, paths = plan
    source = synthetic_pets(num_train=max(batch_sizes) * 2, num_test=8, seed=0)
    results: dict[str, dict[str, dict[str, float]]] = {path: {} for path in paths}
    for batch_size in batch_sizes:
        for path, figures in measure_batch(source, size, batch_size, windows, steps, paths).items():
            work = flops["fast" if path.startswith("fast") else "stock"]
            figures["train_gflop_s"] = figures["train_img_s"] * work["train"] / 1e9
            results[path][str(batch_size)] = figures
            log(
                f"{path:>14} batch {batch_size:>2}: train {figures['train_img_s']:6.1f} img/s, "
                f"predict {figures['predict_img_s']:6.1f}, pipeline {figures['pipeline_img_s']:8.0f} img/s, "
                f"peak RSS {figures['peak_rss_mb']:.0f} MB"
            )
        matmul.append(matmul_gflops())
    return results


def run_bench(
    quick: bool = False,
    size: int = 128,
    batch_sizes: tuple[int, ...] = BATCH_SIZES,
    bf16: bool | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measures the paths at each batch size and the roofline around them; returns every figure.

    `bf16`: also time the mixed_bfloat16 opt-in; by default only where the CPU computes
    bfloat16 natively (elsewhere it is emulated at a fraction of float32's speed, and
    would take most of the run's time for a figure nobody should use).
    """
    flags = cpu_flags()
    paths, windows, steps, batch_sizes, bf16 = bench_plan(quick, batch_sizes, bf16, flags)
    if "fast_bf16" in paths:  # --bf16 where it cannot run: say so now, not minutes into the run
        check_precision("mixed_bfloat16")
    if "fast_bf16" not in paths and not native_bfloat16(flags):
        log(
            "no native bfloat16 here (no AVX512_BF16 or AMX, or ONEDNN_MAX_CPU_ISA caps oneDNN below them): "
            "the mixed_bfloat16 path is left out"
        )
    # The matmul rate is measured before the windows and after each batch size's, and the
    # best is the peak: a shared machine's speed drifts between runs (docs/performance.md),
    # and one measurement taken in a slow moment would inflate every fraction.
    matmul = [matmul_gflops()]
    flops = model_flops(size)  # the tutorial's model: the roofline's work per image
    flops_fast = model_flops(size, fast=True)
    log(
        f"{flops['forward'] / 1e9:.2f} GFLOP forward, {flops['train'] / 1e9:.2f} GFLOP per training image "
        f"(the fast layers run {flops_fast['train'] / 1e9:.2f}); matmul {matmul[0]:.0f} GFLOP/s"
    )
    plan = (size, batch_sizes, windows, steps, paths)
    results = _measure_paths(plan, {"stock": flops, "fast": flops_fast}, matmul, log)
    gflops = max(matmul)
    roofline = gflops * 1e9 / flops["train"]
    for by_batch in results.values():
        for figures in by_batch.values():
            figures["roofline_fraction"] = figures["train_img_s"] / roofline
    log(
        f"roofline: matmul {gflops:.0f} GFLOP/s (best of {', '.join(f'{g:.0f}' for g in matmul)}) "
        f"-> {roofline:.1f} img/s"
    )
    return {
        "size": size,
        "quick": quick,
        "matmul_gflops": gflops,
        "matmul_gflops_samples": matmul,
        "flops_per_image": flops,
        "flops_per_image_fast": flops_fast,
        "roofline_img_s": roofline,
        "results": results,
        **_headline(results, paths, max(batch_sizes), bf16),
        **_machine(flags),
    }


def _headline(
    results: dict[str, dict[str, dict[str, float]]], paths: Sequence[str], batch_size: int, bf16: bool
) -> dict[str, float]:
    """The speed-ups over the literal tutorial and the roofline fraction at the largest batch."""
    top = str(batch_size)
    train_rate = {path: results[path][top]["train_img_s"] for path in paths}
    return {
        f"speedup_batch{top}": train_rate["fast"] / train_rate["literal"],
        **({f"stock_speedup_batch{top}": train_rate["stock"] / train_rate["literal"]} if "stock" in paths else {}),
        f"roofline_fraction_batch{top}": results["fast"][top]["roofline_fraction"],
        **({f"bf16_speedup_batch{top}": train_rate["fast_bf16"] / train_rate["fast"]} if bf16 else {}),
    }


def _machine(flags: frozenset[str]) -> dict[str, Any]:
    """What every speed figure is stated with: library versions, cores, CPU, flags, oneDNN."""
    import tensorflow as tf

    return {
        "versions": {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "cpu_flags": [f for f in REPORTED_FLAGS if f in flags],
        "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA")),
        "onednn": onednn_enabled(),  # TensorFlow's oneDNN ops, not Eigen's kernels (unetcheck.reference.onednn)
    }


def format_bench(report: dict[str, Any]) -> str:
    """The figures as a table: path, batch, train/predict/pipeline img/s, roofline share, RSS."""
    header = ("path", "batch", "train", "roofline", "predict", "pipeline", "RSS MB")
    lines = ["  ".join(f"{h:>{w}}" for h, w in zip(header, (14, 5, 7, 8, 8, 9, 7)))]
    for path, by_batch in report["results"].items():
        for batch, f in by_batch.items():
            lines.append(
                f"{path:>14}  {batch:>5}  {f['train_img_s']:7.1f}  {100 * f['roofline_fraction']:7.0f}%  "
                f"{f['predict_img_s']:8.1f}  {f['pipeline_img_s']:9.0f}  {f['peak_rss_mb']:7.0f}"
            )
    speedups = {
        k: v for k, v in report.items() if k.startswith(("speedup_", "stock_speedup_", "roofline_fraction_", "bf16_"))
    }
    lines.append(" ".join(f"{k} {v:.3f}" for k, v in speedups.items()))
    lines.append(
        f"roofline {report['roofline_img_s']:.1f} img/s (matmul {report['matmul_gflops']:.0f} GFLOP/s), "
        f"{report.get('cpu_model', 'CPU')}, {report['cores']} cores, flags {','.join(report['cpu_flags'])}, "
        f"TF {report['versions']['tensorflow']}"
        + ("" if report.get("onednn", True) else ", oneDNN off (Eigen's kernels)")
        + (f", oneDNN capped at {report['onednn_max_cpu_isa']}" if report.get("onednn_max_cpu_isa") else "")
    )
    return "\n".join(lines)


def plot_bench(report: dict[str, Any], path: str) -> str:
    """Training images/s against batch size for every path, with the roofline."""
    import matplotlib

    matplotlib.use("Agg")  # files only
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, by_batch in report["results"].items():
        batches = sorted(int(b) for b in by_batch)
        ax.plot(batches, [by_batch[str(b)]["train_img_s"] for b in batches], "o-", label=name)
    ax.axhline(report["roofline_img_s"], color="grey", linestyle="--", label="roofline")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size")
    ax.set_ylabel("training images / s")
    ax.set_title(f"Training throughput, {report['size']}x{report['size']}")
    ax.set_ylim(bottom=0)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_json(report: dict[str, Any], path: str) -> str:
    """Writes every figure of `report` to `path` as JSON; returns the path."""
    return strict_json.dump(report, path)
