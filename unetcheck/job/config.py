"""The main job's settings and its presets: the one place each is written down."""

from __future__ import annotations

import dataclasses
from typing import Any

from unetcheck.errors import InputError
from unetcheck.reference.distribute import STRATEGIES
from unetcheck.reference.precision import PRECISIONS

#: The small preset (`--quick`): what it changes from the defaults.
QUICK = {"size": 64, "epochs": 10, "batch_size": 8, "num_train": 128, "num_test": 32}


def describe(preset: dict[str, Any]) -> str:
    """A preset in words, for help texts: "64x64, 128 images, 10 epochs"."""
    return f"{preset['size']}x{preset['size']}, {preset['num_train']} images, {preset['epochs']} epochs"


@dataclasses.dataclass(frozen=True)
class VerifyConfig:
    """Settings of one verify run; `quick()` is the small preset (`QUICK`)."""

    data: str = "synthetic"  # or "tfds", "tfds:VERSION", or an Oxford folder's path
    data_dir: str | None = None  # TFDS data directory
    skip_bad: bool = False  # leave bad examples out (reported) instead of failing
    size: int = 128
    epochs: int = 8
    batch_size: int = 16
    num_train: int = 192  # synthetic data only
    num_test: int = 48  # synthetic data only
    steps_per_epoch: int | None = None  # None: the tutorial's num_train // batch_size
    seed: int = 0  # training: weights, shuffle order, flips
    data_seed: int | None = None  # the synthetic data; None: the same as `seed`
    weights: str | None = None
    class_weights: tuple[float, ...] | None = None
    strategy: str = "default"  # one of STRATEGIES
    cpu_replicas: int | None = None  # split the CPU into this many logical devices (rehearsal)
    sync_batchnorm: bool = False  # decoder BatchNorm over the global batch under tf.distribute
    precision: str = "float32"  # one of PRECISIONS (the mixed ones are inexact opt-ins)
    fast_layers: bool = False  # train with unetcheck's faster layers; the model written is stock either way
    run_eagerly: bool = False  # no graph tracing: faster for a few steps (tests), slower for many
    min_loss_drop: float = 0.2  # relative drop of the training loss, first to last epoch
    min_miou_margin: float = 0.1  # mIoU must beat the majority-class baseline by this much

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InputError(f"strategy must be one of {STRATEGIES}; got {self.strategy!r}")
        if self.precision not in PRECISIONS:
            raise InputError(f"precision must be one of {PRECISIONS}; got {self.precision!r}")
        for name in ("epochs", "batch_size", "num_train", "num_test"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"{name} must be a positive int; got {value!r}")

    @property
    def synthetic_seed(self) -> int:
        """The seed the synthetic data is drawn from."""
        return self.seed if self.data_seed is None else self.data_seed

    @classmethod
    def quick(cls, **overrides: Any) -> "VerifyConfig":
        """The small preset, `QUICK`, with `overrides` on top."""
        return cls(**{**QUICK, **overrides})
