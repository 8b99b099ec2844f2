"""The main job: train the reference on a source, then verify it with `unetcheck.checks`."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from typing import Any, Callable

import numpy as np

from unetcheck import checks
from unetcheck.augment import Augment
from unetcheck.metrics import iou_per_class, majority_confusion, mean_iou, pixel_accuracy
from unetcheck.model import calibrate_encoder, unet_model
from unetcheck.pipeline import make_pipelines
from unetcheck.preprocess import CLASS_NAMES, NUM_CLASSES
from unetcheck.sources import synthetic_pets
from unetcheck.train import compile_model, predict_confusion, set_seed, train


@dataclasses.dataclass(frozen=True)
class VerifyConfig:
    """Settings of one verify run; `quick()` is the preset that finishes in about a minute."""

    size: int = 128
    epochs: int = 8
    batch_size: int = 16
    num_train: int = 192
    num_test: int = 48
    seed: int = 0
    weights: str | None = None
    class_weights: tuple[float, ...] | None = None
    min_loss_drop: float = 0.2  # relative drop of the training loss, first to last epoch
    min_miou_margin: float = 0.1  # mIoU must beat the majority-class baseline by this much

    @classmethod
    def quick(cls, **overrides: Any) -> "VerifyConfig":
        return cls(**{"size": 64, "epochs": 6, "batch_size": 8, "num_train": 64, "num_test": 32, **overrides})


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


def run_verify(config: VerifyConfig, verbose: int | str = "auto") -> dict[str, Any]:
    """Trains the reference on synthetic pets and returns metrics and check results."""
    started = time.perf_counter()
    set_seed(config.seed)
    source = synthetic_pets(config.num_train, config.num_test, seed=config.seed)
    pipes = make_pipelines(
        source, size=config.size, batch_size=config.batch_size, seed=config.seed,
        class_weights=config.class_weights,
    )
    model = unet_model(NUM_CLASSES, input_size=config.size, weights=config.weights)
    if config.weights is None:
        calibrate_encoder(model, next(iter(pipes.train))[0])
    compile_model(model)
    encoder = model.get_layer("encoder")
    encoder_before = checks.snapshot_weights(encoder.weights)
    decoder_before = checks.snapshot_weights(model.trainable_weights)
    history = train(model, pipes, epochs=config.epochs, verbose=verbose)
    losses = [float(v) for v in history.history["loss"]]
    confusion = predict_confusion(model, pipes.test, NUM_CLASSES)
    miou, baseline = mean_iou(confusion), mean_iou(majority_confusion(confusion))
    test_images = next(iter(pipes.test))[0]

    def flip() -> str:
        checks.assert_paired_flip(Augment(seed=config.seed))
        return "64 examples, image and mask flipped alike"

    def labels() -> str:
        checks.assert_labels_in_range(pipes.test, NUM_CLASSES)
        checks.assert_labels_in_range(pipes.train, NUM_CLASSES, max_batches=pipes.steps_per_epoch)
        return f"all pixels in [0, {NUM_CLASSES})"

    def frozen() -> str:
        checks.assert_weights_unchanged(encoder_before, checks.snapshot_weights(encoder.weights), "encoder weights")
        return f"{len(encoder_before)} encoder weights unchanged"

    def decoder() -> str:
        checks.assert_weights_all_changed(decoder_before, checks.snapshot_weights(model.trainable_weights), "trainable weights")
        return f"{len(decoder_before)} trainable weights all changed"

    def loss() -> str:
        checks.assert_loss_decreased(losses, config.min_loss_drop)
        return f"loss {losses[0]:.4f} -> {losses[-1]:.4f}"

    def finite() -> str:
        checks.assert_finite(model(test_images, training=False), "logits")
        return f"{int(np.prod(test_images.shape[:3]))} pixels' logits finite"

    def beats() -> str:
        if not miou >= baseline + config.min_miou_margin:
            raise AssertionError(
                f"mIoU {miou:.3f} does not beat the majority baseline {baseline:.3f} by {config.min_miou_margin}"
            )
        return f"mIoU {miou:.3f} vs majority {baseline:.3f}"

    results = [
        _run_check(name, fn)
        for name, fn in [
            ("paired_flip", flip), ("label_range", labels), ("frozen_encoder", frozen),
            ("decoder_trained", decoder), ("loss_decrease", loss), ("finite_outputs", finite),
            ("beats_majority_baseline", beats),
        ]
    ]
    return {
        "config": dataclasses.asdict(config),
        "miou": miou,
        "majority_baseline_miou": baseline,
        "pixel_accuracy": pixel_accuracy(confusion),
        "iou_per_class": dict(zip(CLASS_NAMES, (float(v) for v in iou_per_class(confusion)))),
        "loss": losses,
        "val_loss": [float(v) for v in history.history["val_loss"]],
        "checks": [dataclasses.asdict(r) for r in results],
        "passed": all(r.passed for r in results),
        "wall_s": time.perf_counter() - started,
    }


def format_table(metrics: dict[str, Any]) -> str:
    """The checks as a plain-text table: check, PASS/FAIL, the figure behind it."""
    rows = [(c["name"], "PASS" if c["passed"] else "FAIL", c["figure"]) for c in metrics["checks"]]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'check':<{width}}  result  figure", f"{'-' * width}  ------  ------"]
    lines += [f"{n:<{width}}  {r:<6}  {f}" for n, r, f in rows]
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
