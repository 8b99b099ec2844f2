"""The unetcheck pytest plugin, registered through the `pytest11` entry point.

Every pytest session in an environment with unetcheck installed loads this module, so it
imports no framework and changes nothing a project did not ask for: it adds fixtures
(which import TensorFlow and Keras only when a test requests them) and options. The GPU
skip is opt-in: a project that sets the ini option `unetcheck_gpu` (to `keras`,
`tensorflow`, `torch` or `jax`: whose devices count) gets the `gpu` marker, and its
`gpu` tests are skipped, with the reason, where that framework sees no GPU. A project
with its own `gpu` marker and no such option keeps it untouched.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from unetcheck.hardware import visible_gpus

#: Frameworks whose GPUs the opt-in skip can look for.
GPU_FRAMEWORKS = ("keras", "tensorflow", "torch", "jax")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("unetcheck", "unetcheck reference fixtures")
    group.addoption(
        "--unetcheck-size",
        type=int,
        default=32,
        help="image side of the reference fixtures (a multiple of 32; default 32)",
    )
    group.addoption("--unetcheck-seed", type=int, default=0, help="seed of the reference fixtures (default 0)")
    parser.addini(
        "unetcheck_gpu",
        default="",
        help=f"opt in to unetcheck's gpu marker: one of {', '.join(GPU_FRAMEWORKS)}; tests marked gpu "
        "are skipped, with the reason, where that framework sees no GPU",
    )


def _gpu_framework(config: pytest.Config) -> str | None:
    framework = str(config.getini("unetcheck_gpu")).strip()
    if not framework:
        return None
    if framework not in GPU_FRAMEWORKS:
        raise pytest.UsageError(f"unetcheck_gpu must be one of {GPU_FRAMEWORKS}; got {framework!r}")
    return framework


def pytest_configure(config: pytest.Config) -> None:
    if _gpu_framework(config):
        config.addinivalue_line(
            "markers", "gpu: needs a visible GPU; `pytest -m gpu` runs these, skipped with the reason elsewhere"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    framework = _gpu_framework(config)
    gpu_items = [item for item in items if item.get_closest_marker("gpu")] if framework else []
    if not gpu_items or visible_gpus(framework):
        return
    if framework == "keras":
        import keras

        where = f"the Keras {keras.backend.backend()!r} backend"
    else:
        where = framework
    skip = pytest.mark.skip(reason=f"no GPU visible to {where}")
    for item in gpu_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def unetcheck_settings(pytestconfig: pytest.Config) -> dict[str, int]:
    """The fixtures' image size and seed: `{"size": 32, "seed": 0}` unless set on the command line."""
    return {"size": pytestconfig.getoption("unetcheck_size"), "seed": pytestconfig.getoption("unetcheck_seed")}


@pytest.fixture(scope="session")
def unetcheck_source(unetcheck_settings: dict[str, int]) -> Any:
    """32 train / 16 test synthetic pets (TFDS-style examples), deterministic (needs TensorFlow).

    def test_my_loader(unetcheck_source):
        for example in unetcheck_source.split("train").take(4):
            image, mask = my_load(example)
    """
    from unetcheck.reference.sources import synthetic_pets

    return synthetic_pets(num_train=32, num_test=16, seed=unetcheck_settings["seed"])


@pytest.fixture
def unetcheck_pipelines(unetcheck_source: Any, unetcheck_settings: dict[str, int]) -> Any:
    """The reference `tf.data` pipelines over `unetcheck_source` (batch 8), fresh for each test:
    the shuffle order and the flips start from the same state in every test.

        def test_shapes(unetcheck_pipelines):
            images, masks = next(iter(unetcheck_pipelines.train))
    """
    from unetcheck.reference.pipeline import make_pipelines

    return make_pipelines(
        unetcheck_source, size=unetcheck_settings["size"], batch_size=8, seed=unetcheck_settings["seed"]
    )


@pytest.fixture
def unetcheck_model(unetcheck_pipelines: Any, unetcheck_settings: dict[str, int]) -> Any:
    """A fresh, compiled reference U-Net in stock Keras layers (random encoder, calibrated,
    frozen). Building it seeds Keras's random state with `--unetcheck-seed`.

        def test_same_as_reference(unetcheck_model, my_model, unetcheck_pipelines):
            images, _ = next(iter(unetcheck_pipelines.test))
            ...
    """
    import keras

    from unetcheck.reference.model import calibrate_encoder, unet_model
    from unetcheck.reference.train import compile_model

    keras.utils.set_random_seed(unetcheck_settings["seed"])
    model = unet_model(input_size=unetcheck_settings["size"])
    calibrate_encoder(model, next(iter(unetcheck_pipelines.train))[0])
    return compile_model(model)


@pytest.fixture
def unetcheck_preprocess(unetcheck_settings: dict[str, int]) -> Any:
    """The reference preprocessing at the fixtures' size, in NumPy (no TensorFlow needed):
    a TFDS-style dict -> (image, mask).

        def test_preprocessing(unetcheck_preprocess):
            image, mask = unetcheck_preprocess(example)
    """
    import functools

    from unetcheck.pets.preprocess import oxford_preprocess

    return functools.partial(oxford_preprocess, size=unetcheck_settings["size"])


class Golden:
    """Golden files through pytest-regressions, with library versions recorded beside each.

    `check_data` (YAML, exact) and `check_arrays` (NPZ, with tolerances) write
    `NAME.versions.yml` next to the golden whenever it is (re)generated, and a failure
    names the versions it was recorded with. Regenerate with `pytest --force-regen`.
    """

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def _versions(self) -> dict[str, str]:
        """NumPy's version and those of the frameworks this session has loaded (none imported here)."""
        import sys

        import numpy as np

        versions = {"numpy": np.__version__}
        for name in ("keras", "tensorflow", "torch", "jax"):
            module = sys.modules.get(name)
            if module is not None and hasattr(module, "__version__"):
                versions[name] = str(module.__version__)
        if "keras" in sys.modules:
            versions["keras_backend"] = sys.modules["keras"].backend.backend()
        return versions

    def _run(self, fixture: str, path: Path, call: Any) -> None:
        __tracebackhide__ = True
        import yaml

        sidecar = path.with_name(path.stem + ".versions.yml")
        fresh = not path.exists() or self._request.config.getoption("force_regen")
        try:
            call(self._request.getfixturevalue(fixture))
        except (AssertionError, pytest.fail.Exception) as err:  # pytest-regressions fails via pytest.fail
            if fresh or not sidecar.exists():
                sidecar.write_text(yaml.safe_dump(self._versions(), sort_keys=True))
                raise
            recorded = yaml.safe_load(sidecar.read_text())
            raise AssertionError(
                f"{err}\n\ngolden {path.name} was recorded with {recorded}; installed: {self._versions()}"
            ) from None
        if fresh or not sidecar.exists():
            sidecar.write_text(yaml.safe_dump(self._versions(), sort_keys=True))

    def check_data(self, data: dict, path: str | os.PathLike) -> None:
        """Compares `data` (YAML-serializable) with the golden at `path` exactly."""
        __tracebackhide__ = True
        path = Path(path)
        self._run("data_regression", path, lambda fx: fx.check(data, fullpath=path))

    def check_arrays(
        self,
        arrays: dict,
        path: str | os.PathLike,
        tolerances: dict | None = None,
        default_tolerance: dict | None = None,
    ) -> None:
        """Compares `{name: array}` with the NPZ golden at `path`, within per-key tolerances."""
        __tracebackhide__ = True
        path = Path(path)
        self._run(
            "ndarrays_regression",
            path,
            lambda fx: fx.check(arrays, fullpath=path, tolerances=tolerances, default_tolerance=default_tolerance),
        )


@pytest.fixture
def unetcheck_golden(request: pytest.FixtureRequest) -> Golden:
    """Golden files with versions recorded (needs pytest-regressions).

    def test_structure(unetcheck_golden):
        unetcheck_golden.check_data({"params": 6504227}, "goldens/structure.yml")
        unetcheck_golden.check_arrays({"logits": out}, "goldens/logits.npz",
                                      default_tolerance={"atol": 1e-5, "rtol": 1e-5})
    """
    return Golden(request)


def _deprecated_fixture(old: str, new: str) -> Any:
    """The fixture `old`, deprecated: warns and gives `new`'s value."""

    @pytest.fixture(name=old)
    def alias(request: pytest.FixtureRequest) -> Any:
        warnings.warn(
            f"unetcheck's fixture {old!r} is deprecated: use {new!r} (a plugin's fixtures carry its "
            "prefix, so that they never collide with a project's own)",
            DeprecationWarning,
            stacklevel=2,
        )
        return request.getfixturevalue(new)

    alias.__doc__ = f"Deprecated: `{new}`."
    return alias


synthetic_source = _deprecated_fixture("synthetic_source", "unetcheck_source")
reference_pipelines = _deprecated_fixture("reference_pipelines", "unetcheck_pipelines")
reference_model = _deprecated_fixture("reference_model", "unetcheck_model")
reference_preprocess = _deprecated_fixture("reference_preprocess", "unetcheck_preprocess")
