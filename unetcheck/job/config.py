"""The main job's settings and its presets: the one place each is written down."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from typing import Any

from unetcheck.errors import InputError
from unetcheck.reference.distribute import STRATEGIES
from unetcheck.reference.precision import PRECISIONS

#: The small preset (`--quick`): what it changes from the defaults.
QUICK = {"size": 64, "epochs": 10, "batch_size": 8, "num_train": 128, "num_test": 32}


def describe(preset: dict[str, Any]) -> str:
    """A preset in words, for help texts: "64x64, 128 images, 10 epochs"."""
    return f"{preset['size']}x{preset['size']}, {preset['num_train']} images, {preset['epochs']} epochs"


def parse_class_weights(text: str) -> tuple[float, ...] | None:
    """`--class-weights`: "none", or per-class numbers like "2,2,1"."""
    if text.lower() == "none":
        return None
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"class weights must be 'none' or numbers like 2,2,1; got {text!r}") from None


def parse_weights(text: str) -> str | None:
    """`--weights`: "none" for a random encoder, "imagenet", or a file's path."""
    return None if text.lower() == "none" else text


def _setting(default: Any, help: str, show_default: bool = True, **cli: Any) -> Any:
    """A setting with its help text; `cli` holds its `add_argument` options (absent: not on the
    command line)."""
    return dataclasses.field(default=default, metadata={"help": help, "cli": cli or None, "show_default": show_default})


_FLAG = {"action": "store_const", "const": True}  # unset stays None: the config's default applies


@dataclasses.dataclass(frozen=True)
class VerifyConfig:
    """Settings of one verify run; `quick()` is the small preset (`QUICK`). Each setting's help
    is the command line's (`unetcheck verify --help`)."""

    data: str = _setting(
        "synthetic", "synthetic, tfds (or tfds:VERSION), or the path of an Oxford-IIIT Pet folder", type=str
    )
    data_dir: str | None = _setting(None, "TFDS data directory (with --data tfds)", type=str)
    skip_bad: bool = _setting(
        False, "leave out examples that cannot be used, and list them, instead of failing", **_FLAG
    )
    size: int = _setting(128, "image side in pixels, a multiple of 32", type=int)
    epochs: int = _setting(8, "training epochs", type=int)
    batch_size: int = _setting(16, "examples per batch", type=int)
    num_train: int = _setting(192, "synthetic training examples", type=int)
    num_test: int = _setting(48, "synthetic test examples", type=int)
    steps_per_epoch: int | None = _setting(None, "steps per epoch (unset: train examples // batch size)", type=int)
    seed: int = _setting(0, "seeds training: weights, shuffle order, flips", type=int)
    data_seed: int | None = _setting(None, "seeds the synthetic data (unset: the --seed)", type=int)
    weights: str | None = _setting(None, "encoder weights: none (random), imagenet or a file path", type=parse_weights)
    learning_rate: float = _setting(1e-3, "Adam's learning rate (the tutorial's: Keras's default)", type=float)
    class_weights: tuple[float, ...] | None = _setting(
        None, "per-class weights like 2,2,1, or none", type=parse_class_weights
    )
    strategy: str = _setting(
        "default",
        "tf.distribute strategy (default: none, one device); multiworker reads TF_CONFIG",
        show_default=False,
        choices=STRATEGIES,
    )
    cpu_replicas: int | None = _setting(None, "rehearse on a CPU: split it into N logical devices", type=int)
    sync_batchnorm: bool = _setting(False, "synchronize the decoder's BatchNorm across replicas", **_FLAG)
    precision: str = _setting(
        "float32",
        "compute precision; mixed_bfloat16 is faster on CPUs with AVX512_BF16 but inexact",
        choices=PRECISIONS,
    )
    fast_layers: bool = _setting(
        False, "train with unetcheck's faster layers (same function); model.keras is stock either way", **_FLAG
    )
    run_eagerly: bool = _setting(False, "no graph tracing: faster for a few steps (tests), slower for many")
    min_loss_drop: float = _setting(0.2, "relative drop of the training loss, first to last epoch")
    min_miou_margin: float = _setting(0.1, "mIoU must beat the majority-class baseline by this much")

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InputError(f"strategy must be one of {STRATEGIES}; got {self.strategy!r}")
        if self.precision not in PRECISIONS:
            raise InputError(f"precision must be one of {PRECISIONS}; got {self.precision!r}")
        if not isinstance(self.learning_rate, (int, float)) or not self.learning_rate > 0:
            raise InputError(f"learning_rate must be a number > 0; got {self.learning_rate!r}")
        for name in ("epochs", "batch_size", "num_train", "num_test"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"{name} must be a positive int; got {value!r}")

    @property
    def synthetic_seed(self) -> int:
        """The seed the synthetic data is drawn from."""
        return self.seed if self.data_seed is None else self.data_seed

    @classmethod
    def quick(cls, **overrides: Any) -> VerifyConfig:
        """The small preset, `QUICK`, with `overrides` on top."""
        return cls(**{**QUICK, **overrides})


def add_arguments(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    """Adds the settings `names` to `parser` as options (`--batch-size`), with their help and
    default; an option left unset is None in the parsed arguments (`overrides`)."""
    fields = {f.name: f for f in dataclasses.fields(VerifyConfig)}
    for name in names:
        field = fields[name]
        shown = field.metadata["show_default"] and field.default is not None and field.default is not False
        default = f" (default {field.default})" if shown else ""
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            default=None,
            help=field.metadata["help"] + default,
            **field.metadata["cli"],
        )


#: The settings `unetcheck verify` takes on its command line, in its help's order.
VERIFY_OPTIONS = tuple(f.name for f in dataclasses.fields(VerifyConfig) if f.metadata["cli"])


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (those left unset keep the config's defaults)."""
    return {name: getattr(args, name) for name in VERIFY_OPTIONS if getattr(args, name, None) is not None}
