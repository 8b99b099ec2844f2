"""The main job's checks: each one of `unetcheck.checks` applied to the trained reference.

Every check ends as one row: PASS with the figure behind it, FAIL with the check's
message, or ERROR when the check itself could not run (its exception named), so one
broken check never costs the report.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from unetcheck import checks

PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """One row of the checks table."""

    name: str
    status: str  # PASS, FAIL or ERROR
    figure: str  # the figure behind a pass, or what went wrong

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "passed": self.passed, "figure": self.figure}


def run_check(name: str, fn: Callable[[], str]) -> CheckResult:
    """Runs one check: its figure on success, its message on failure, its exception on error."""
    try:
        return CheckResult(name, PASS, fn())
    except AssertionError as err:
        return CheckResult(name, FAIL, str(err))
    except Exception as err:  # noqa: BLE001 - any error of a check is reported, not raised
        return CheckResult(name, ERROR, f"{type(err).__name__}: {err}")


@dataclasses.dataclass
class Trained:
    """What verification needs of a finished training run."""

    model: Any  # the trained model (fast layers or stock)
    stock: Any  # the same weights in the stock-layer graph: the model the job writes
    pipelines: Any
    encoder_before: dict[str, np.ndarray]
    trainable_before: dict[str, np.ndarray]
    losses: list[float]
    test_images: np.ndarray
    augment: Any  # the pipeline's Augment (a fresh one with its seed)
    miou: float
    baseline_miou: float
    saved_model: str | None = None  # the model.keras the job wrote, checked as written


@dataclasses.dataclass(frozen=True)
class Limits:
    """What the main job's checks require of a run."""

    num_classes: int
    min_loss_drop: float
    min_miou_margin: float


def paired_flip(trained: Trained, limits: Limits) -> str:
    checks.assert_paired_flip(trained.augment)
    return "64 examples, each image flipped exactly as its mask"


def label_range(trained: Trained, limits: Limits) -> str:
    pipes = trained.pipelines
    checks.assert_labels_in_range(pipes.test, limits.num_classes)
    checks.assert_labels_in_range(pipes.train, limits.num_classes, max_batches=pipes.steps_per_epoch)
    return f"every train and test mask pixel in [0, {limits.num_classes})"


def frozen_encoder(trained: Trained, limits: Limits) -> str:
    encoder = trained.model.get_layer("encoder")
    checks.assert_weights_unchanged(trained.encoder_before, checks.snapshot(encoder), "encoder weights")
    return f"{len(trained.encoder_before)} encoder weights unchanged"


def decoder_trained(trained: Trained, limits: Limits) -> str:
    after = checks.snapshot(trained.model.trainable_weights)
    checks.assert_weights_all_changed(trained.trainable_before, after, "trainable weights")
    return f"{len(trained.trainable_before)} trainable weights all changed"


def loss_decrease(trained: Trained, limits: Limits) -> str:
    losses = trained.losses
    checks.assert_loss_curve_falls(losses, limits.min_loss_drop)
    return f"loss {losses[0]:.4f} -> {losses[-1]:.4f} ({100 * (1 - losses[-1] / losses[0]):.0f}% lower)"


def finite_outputs(trained: Trained, limits: Limits) -> str:
    checks.assert_finite(trained.model(trained.test_images, training=False), "logits")
    return f"{int(np.prod(trained.test_images.shape[:3]))} pixels' logits finite"


def save_reload(trained: Trained, limits: Limits) -> str:
    import keras

    with tempfile.TemporaryDirectory() as scratch:
        path = trained.saved_model
        if path is None:
            path = os.path.join(scratch, "model.keras")
            trained.stock.save(path)
        checks.assert_same_predictions(trained.stock, keras.models.load_model(path), trained.test_images)
    return f"stock-layer model.keras reloaded: identical logits on {len(trained.test_images)} test images"


def beats_majority_baseline(trained: Trained, limits: Limits) -> str:
    if not trained.miou >= trained.baseline_miou + limits.min_miou_margin:
        raise AssertionError(
            f"mIoU {trained.miou:.3f} does not beat the majority baseline "
            f"{trained.baseline_miou:.3f} by {limits.min_miou_margin}"
        )
    return f"mIoU {trained.miou:.3f} vs majority {trained.baseline_miou:.3f}"


#: The main job's checks, in the order of its report.
CHECKS = (
    paired_flip,
    label_range,
    frozen_encoder,
    decoder_trained,
    loss_decrease,
    finite_outputs,
    save_reload,
    beats_majority_baseline,
)


def verify_trained(
    trained: Trained, num_classes: int, min_loss_drop: float, min_miou_margin: float
) -> list[CheckResult]:
    """Runs the eight checks of the main job on `trained`; returns one row each, in order."""
    limits = Limits(num_classes, min_loss_drop, min_miou_margin)
    return [run_check(fn.__name__, functools.partial(fn, trained, limits)) for fn in CHECKS]
