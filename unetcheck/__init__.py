"""unetcheck: the TensorFlow segmentation tutorial's U-Net, done right, and its checks.

The package is laid out as its parts depend on each other, one way:

- `unetcheck.pets`: the Oxford-IIIT Pet data's facts and the synthetic pets (NumPy only);
- `unetcheck.checks`: the assertions, metrics and baseline comparison any team imports
  (NumPy; SciPy when surface distances are measured; a framework is imported only when
  its objects are passed in);
- `unetcheck.reference`: the tutorial's pipeline in TensorFlow and Keras (sources ->
  preprocessing -> augmentation -> pipeline -> model -> training);
- `unetcheck.job`: the main job (`unetcheck verify`), its report, `predict`, the command line;
- `unetcheck.bench.speed`: the measurement tools.

The names below are the reference's public API. They load on first use, so that
`import unetcheck.checks` and the pytest plugin cost no TensorFlow import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from unetcheck._version import __version__

#: Public name -> the module that defines it.
_EXPORTS = {
    "Augment": "unetcheck.reference.augment",
    "CLASS_NAMES": "unetcheck.pets.trimaps",
    "ENCODER_TAPS": "unetcheck.reference.model",
    "NUM_CLASSES": "unetcheck.pets.trimaps",
    "Pipelines": "unetcheck.reference.pipeline",
    "Source": "unetcheck.reference.sources",
    "TUTORIAL_CLASS_WEIGHTS": "unetcheck.reference.sample_weights",
    "add_sample_weights": "unetcheck.reference.sample_weights",
    "build_encoder": "unetcheck.reference.model",
    "calibrate_encoder": "unetcheck.reference.model",
    "compile_model": "unetcheck.reference.train",
    "create_mask": "unetcheck.reference.masks",
    "deterministic_ops": "unetcheck.reference.train",
    "load_arrays": "unetcheck.reference.arrays",
    "load_image": "unetcheck.reference.preprocess",
    "make_pipelines": "unetcheck.reference.pipeline",
    "normalize": "unetcheck.reference.preprocess",
    "oxford_preprocess": "unetcheck.pets.preprocess",
    "predict_confusion": "unetcheck.reference.train",
    "set_seed": "unetcheck.reference.train",
    "synthetic_arrays": "unetcheck.reference.arrays",
    "synthetic_example": "unetcheck.pets.synthetic",
    "synthetic_pets": "unetcheck.reference.sources",
    "train": "unetcheck.reference.train",
    "unet_model": "unetcheck.reference.model",
    "upsample": "unetcheck.reference.model",
    "without_autotune": "unetcheck.reference.pipeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'unetcheck' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as err:
        if module.startswith("unetcheck.reference") and (err.name or "").split(".")[0] in ("tensorflow", "keras"):
            raise ModuleNotFoundError(
                f"unetcheck.{name} is part of the reference pipeline, which needs TensorFlow "
                f"and Keras: pip install 'unetcheck[reference]' ({err})",
                name=err.name,
            ) from err
        raise
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - what type checkers and IDEs see
    from unetcheck.pets.preprocess import oxford_preprocess
    from unetcheck.pets.synthetic import synthetic_example
    from unetcheck.pets.trimaps import CLASS_NAMES, NUM_CLASSES
    from unetcheck.reference.arrays import load_arrays, synthetic_arrays
    from unetcheck.reference.augment import Augment
    from unetcheck.reference.masks import create_mask
    from unetcheck.reference.model import ENCODER_TAPS, build_encoder, calibrate_encoder, unet_model, upsample
    from unetcheck.reference.pipeline import Pipelines, make_pipelines, without_autotune
    from unetcheck.reference.preprocess import load_image, normalize
    from unetcheck.reference.sample_weights import TUTORIAL_CLASS_WEIGHTS, add_sample_weights
    from unetcheck.reference.sources import Source, synthetic_pets
    from unetcheck.reference.train import compile_model, deterministic_ops, predict_confusion, set_seed, train
