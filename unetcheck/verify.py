"""The main job: train the reference, verify it with `unetcheck.checks`, write a report."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import shutil
import tempfile
import time
from typing import Any, Callable, Sequence

import keras
import numpy as np

from unetcheck import checks
from unetcheck.augment import Augment
from unetcheck.data import load_source
from unetcheck.masks import create_mask
from unetcheck.metrics import iou_per_class, majority_confusion, mean_iou, pixel_accuracy
from unetcheck.model import calibrate_encoder, precision, unet_model
from unetcheck.pipeline import make_pipelines
from unetcheck.preprocess import CLASS_NAMES, NUM_CLASSES
from unetcheck.train import compile_model, predict_confusion, set_seed, train


@dataclasses.dataclass(frozen=True)
class VerifyConfig:
    """Settings of one verify run; `quick()` is the preset that finishes in well under 2 minutes."""

    data: str = "synthetic"  # or "tfds", "tfds:VERSION", or an Oxford folder's path
    data_dir: str | None = None  # TFDS data directory
    skip_bad: bool = False  # leave bad examples out (reported) instead of failing
    size: int = 128
    epochs: int = 8
    batch_size: int = 16
    num_train: int = 192  # synthetic data only
    num_test: int = 48  # synthetic data only
    steps_per_epoch: int | None = None  # None: the tutorial's num_train // batch_size
    seed: int = 0
    weights: str | None = None
    class_weights: tuple[float, ...] | None = None
    strategy: str = "default"  # tf.distribute: "default", "mirrored" or "multiworker"
    cpu_replicas: int | None = None  # split the CPU into this many logical devices (rehearsal)
    sync_batchnorm: bool = False  # decoder BatchNorm over the global batch under tf.distribute
    precision: str = "float32"  # or "mixed_bfloat16" (opt-in: faster on CPUs with AVX512_BF16, inexact)
    run_eagerly: bool = False  # no graph tracing: faster for a few steps (tests), slower for many
    min_loss_drop: float = 0.2  # relative drop of the training loss, first to last epoch
    min_miou_margin: float = 0.1  # mIoU must beat the majority-class baseline by this much

    @classmethod
    def quick(cls, **overrides: Any) -> "VerifyConfig":
        preset = {"size": 64, "epochs": 10, "batch_size": 8, "num_train": 128, "num_test": 32}
        return cls(**{**preset, **overrides})


@dataclasses.dataclass
class CheckResult:
    name: str
    passed: bool
    figure: str


def _run_check(name: str, fn: Callable[[], str]) -> CheckResult:
    try:
        return CheckResult(name, True, fn())
    except AssertionError as err:
        return CheckResult(name, False, str(err))


class EpochSamples(keras.callbacks.Callback):
    """The tutorial's DisplayCallback, saved instead of shown: one test example per epoch."""

    def __init__(self, image: np.ndarray, mask: np.ndarray, out_dir: str) -> None:
        super().__init__()
        self.image, self.mask, self.out_dir = image, mask, out_dir

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        from unetcheck.report import plot_predictions

        os.makedirs(self.out_dir, exist_ok=True)
        pred = create_mask(self.model(self.image[None], training=False))
        path = os.path.join(self.out_dir, f"epoch_{epoch + 1:03d}.png")
        plot_predictions(self.image[None], self.mask[None], np.asarray(pred), path,
                         title=f"Sample prediction after epoch {epoch + 1}")


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def _read_history(path: str) -> dict[str, list[float]]:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {}) if key != "epoch"}


def run_verify(
    config: VerifyConfig,
    out_dir: str | None = None,
    verbose: int | str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> dict[str, Any]:
    """Trains the reference on `config.data` and returns metrics and check results.

    With `out_dir`, also writes the report there, and a run interrupted after some
    epochs resumes from the last finished epoch when started again with the same folder
    (`keras.callbacks.BackupAndRestore`; the optimizer's moments restart).
    """
    started = time.perf_counter()
    strategy = None
    if config.strategy != "default" or config.cpu_replicas:
        from unetcheck.distribute import make_strategy

        # First: logical CPU devices can only be made before TensorFlow starts its runtime.
        strategy = make_strategy(config.strategy, config.cpu_replicas)
    set_seed(config.seed)
    synthetic = {"num_train": config.num_train, "num_test": config.num_test, "seed": config.seed}
    source = load_source(config.data, data_dir=config.data_dir, skip_bad=config.skip_bad,
                         **(synthetic if config.data == "synthetic" else {}))
    pipes = make_pipelines(
        source, size=config.size, batch_size=config.batch_size, seed=config.seed,
        class_weights=config.class_weights,
    )
    with strategy.scope() if strategy is not None else contextlib.nullcontext(), precision(config.precision):
        model = unet_model(NUM_CLASSES, input_size=config.size, weights=config.weights,
                           sync_batchnorm=config.sync_batchnorm)
        if config.weights is None:
            calibrate_encoder(model, next(iter(pipes.train))[0])
        compile_model(model, run_eagerly=config.run_eagerly)
    encoder = model.get_layer("encoder")
    encoder_before = checks.snapshot_weights(encoder.weights)
    decoder_before = checks.snapshot_weights(model.trainable_weights)
    test_images, test_masks = (np.asarray(t) for t in next(iter(pipes.test))[:2])

    fit_callbacks = list(callbacks)
    history_csv = None
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        backup = os.path.join(out_dir, "backup")
        history_csv = os.path.join(out_dir, "history.csv")
        if not os.path.isdir(backup):  # a fresh run, not a resumed one: forget old epochs
            _remove(history_csv)
            _remove(os.path.join(out_dir, "epochs"))
        fit_callbacks = [
            keras.callbacks.BackupAndRestore(backup),
            keras.callbacks.CSVLogger(history_csv, append=True),
            EpochSamples(test_images[0], test_masks[0], os.path.join(out_dir, "epochs")),
            *fit_callbacks,
        ]
    if config.strategy == "multiworker":  # Model.fit fails there: keras-team/keras#20585
        from unetcheck.loop import fit_with_loop

        history = fit_with_loop(
            model, strategy, pipes.train, config.epochs, config.steps_per_epoch or pipes.steps_per_epoch,
            pipes.test, pipes.validation_steps, fit_callbacks, verbose=verbose)
    else:
        history = train(
            model, pipes, epochs=config.epochs, steps_per_epoch=config.steps_per_epoch,
            callbacks=fit_callbacks, verbose=verbose,
        )
    logs = _read_history(history_csv) if history_csv else {k: list(map(float, v)) for k, v in history.history.items()}
    losses, val_losses = logs["loss"], logs.get("val_loss", [])
    confusion = predict_confusion(model, pipes.test, NUM_CLASSES)
    miou, baseline = mean_iou(confusion), mean_iou(majority_confusion(confusion))

    def flip() -> str:
        checks.assert_paired_flip(Augment(seed=config.seed))
        return "64 examples, each image flipped exactly as its mask"

    def labels() -> str:
        checks.assert_labels_in_range(pipes.test, NUM_CLASSES)
        checks.assert_labels_in_range(pipes.train, NUM_CLASSES, max_batches=pipes.steps_per_epoch)
        return f"every train and test mask pixel in [0, {NUM_CLASSES})"

    def frozen() -> str:
        checks.assert_weights_unchanged(encoder_before, checks.snapshot_weights(encoder.weights), "encoder weights")
        return f"{len(encoder_before)} encoder weights unchanged"

    def decoder() -> str:
        checks.assert_weights_all_changed(decoder_before, checks.snapshot_weights(model.trainable_weights),
                                          "trainable weights")
        return f"{len(decoder_before)} trainable weights all changed"

    def loss() -> str:
        checks.assert_loss_decreased(losses, config.min_loss_drop)
        return f"loss {losses[0]:.4f} -> {losses[-1]:.4f} ({100 * (1 - losses[-1] / losses[0]):.0f}% lower)"

    def finite() -> str:
        checks.assert_finite(model(test_images, training=False), "logits")
        return f"{int(np.prod(test_images.shape[:3]))} pixels' logits finite"

    def beats() -> str:
        if not miou >= baseline + config.min_miou_margin:
            raise AssertionError(
                f"mIoU {miou:.3f} does not beat the majority baseline {baseline:.3f} by {config.min_miou_margin}"
            )
        return f"mIoU {miou:.3f} vs majority {baseline:.3f}"

    def reload() -> str:
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(out_dir or scratch, "model.keras")
            model.save(path)
            checks.assert_same_predictions(model, keras.models.load_model(path), test_images)
        return f"model.keras reloaded: identical logits on {len(test_images)} test images"

    named = [
        ("paired_flip", flip), ("label_range", labels), ("frozen_encoder", frozen),
        ("decoder_trained", decoder), ("loss_decrease", loss), ("finite_outputs", finite),
        ("save_reload", reload), ("beats_majority_baseline", beats),
    ]
    results = [_run_check(name, fn) for name, fn in named]
    metrics = {
        "config": dataclasses.asdict(config),
        "miou": miou,
        "majority_baseline_miou": baseline,
        "pixel_accuracy": pixel_accuracy(confusion),
        "iou_per_class": dict(zip(CLASS_NAMES, (float(v) for v in iou_per_class(confusion)))),
        "confusion": confusion.tolist(),
        "examples": dict(source.num_examples),
        "skipped": source.skipped,
        "loss": losses,
        "val_loss": val_losses,
        "accuracy": logs.get("accuracy", []),
        "val_accuracy": logs.get("val_accuracy", []),
        "epochs_run_now": len(history.history.get("loss", [])),
        "checks": [dataclasses.asdict(r) for r in results],
        "passed": all(r.passed for r in results),
        "precision": config.precision,
        "strategy": config.strategy,
        "replicas": strategy.num_replicas_in_sync if strategy is not None else 1,
        "versions": {"keras": keras.__version__, "backend": keras.backend.backend()},
        "wall_s": time.perf_counter() - started,
    }
    if out_dir is not None:
        _write_report(metrics, model, test_images, test_masks, out_dir)
    return metrics


def _write_report(metrics: dict[str, Any], model: keras.Model, images: np.ndarray, masks: np.ndarray,
                  out_dir: str) -> None:
    from unetcheck import report

    report.plot_loss(metrics["loss"], metrics["val_loss"], os.path.join(out_dir, "loss.png"))
    shown = slice(0, min(4, len(images)))
    pred = np.asarray(create_mask(model.predict(images[shown], verbose=0)))
    report.plot_predictions(images[shown], masks[shown], pred, os.path.join(out_dir, "predictions.png"))
    write_metrics(metrics, out_dir)
    report.write_report_md(metrics, out_dir)


def format_table(metrics: dict[str, Any]) -> str:
    """The checks as a plain-text table: check, PASS/FAIL, the figure behind it."""
    rows = [(c["name"], "PASS" if c["passed"] else "FAIL", c["figure"]) for c in metrics["checks"]]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'check':<{width}}  result  figure", f"{'-' * width}  ------  ------"]
    lines += [f"{n:<{width}}  {r:<6}  {f}" for n, r, f in rows]
    if metrics.get("skipped"):
        lines.append(f"\nskipped {len(metrics['skipped'])} bad example(s):")
        lines += [f"  {b['split']}/{b['name']}: {b['reason']}" for b in metrics["skipped"]]
    lines.append(
        f"\nmIoU {metrics['miou']:.3f} (majority baseline {metrics['majority_baseline_miou']:.3f}), "
        f"pixel accuracy {metrics['pixel_accuracy']:.3f}, wall {metrics['wall_s']:.0f} s"
    )
    return "\n".join(lines)


def write_metrics(metrics: dict[str, Any], out_dir: str) -> str:
    """Writes `metrics.json` into `out_dir`; returns its path."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "metrics.json")
    with open(path, "w") as f:
        json.dump(metrics, f, indent=2)
    return path
