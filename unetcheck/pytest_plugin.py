"""The unetcheck pytest plugin, registered through the `pytest11` entry point.

Gives any suite the `gpu` marker (skipped with the reason where no GPU is visible),
fixtures for a small synthetic dataset, the reference pipeline and model, and golden
files with the library versions recorded beside them. TensorFlow and Keras are imported
lazily, inside the fixtures.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("unetcheck", "unetcheck reference fixtures")
    group.addoption("--unetcheck-size", type=int, default=32,
                    help="image side of the reference fixtures (a multiple of 32; default 32)")
    group.addoption("--unetcheck-seed", type=int, default=0, help="seed of the reference fixtures (default 0)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "gpu: needs a visible GPU; `pytest -m gpu` runs these, skipped with the reason elsewhere")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    import keras

    from unetcheck.devices import visible_gpus

    if visible_gpus():
        return
    reason = f"no GPU visible to the Keras {keras.backend.backend()!r} backend"
    for item in gpu_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def unetcheck_settings(pytestconfig: pytest.Config) -> dict[str, int]:
    """The fixtures' image size and seed: `{"size": 32, "seed": 0}` unless set on the command line."""
    return {"size": pytestconfig.getoption("unetcheck_size"), "seed": pytestconfig.getoption("unetcheck_seed")}


@pytest.fixture(scope="session")
def synthetic_source(unetcheck_settings: dict[str, int]) -> Any:
    """32 train / 16 test synthetic pets (TFDS-style examples), deterministic.

        def test_my_loader(synthetic_source):
            for example in synthetic_source.split("train").take(4):
                image, mask = my_load(example)
    """
    from unetcheck.sources import synthetic_pets

    return synthetic_pets(num_train=32, num_test=16, seed=unetcheck_settings["seed"])


@pytest.fixture(scope="session")
def reference_pipelines(synthetic_source: Any, unetcheck_settings: dict[str, int]) -> Any:
    """The reference `tf.data` pipelines over `synthetic_source` (batch 8).

        def test_shapes(reference_pipelines):
            images, masks = next(iter(reference_pipelines.train))
    """
    from unetcheck.pipeline import make_pipelines

    return make_pipelines(synthetic_source, size=unetcheck_settings["size"], batch_size=8,
                          seed=unetcheck_settings["seed"])


@pytest.fixture
def reference_model(reference_pipelines: Any, unetcheck_settings: dict[str, int]) -> Any:
    """A fresh, compiled reference U-Net (random encoder, calibrated, frozen) for one test.

        def test_same_as_reference(reference_model, my_model, reference_pipelines):
            images, _ = next(iter(reference_pipelines.test))
            ...
    """
    from unetcheck.model import calibrate_encoder, unet_model
    from unetcheck.train import compile_model, set_seed

    set_seed(unetcheck_settings["seed"])
    model = unet_model(input_size=unetcheck_settings["size"])
    calibrate_encoder(model, next(iter(reference_pipelines.train))[0])
    return compile_model(model)


@pytest.fixture
def reference_preprocess(unetcheck_settings: dict[str, int]) -> Any:
    """`load_image` at the fixtures' size: a TFDS-style dict -> (image, mask).

        def test_preprocessing(reference_preprocess):
            assert_same_preprocessing(my_load, reference=lambda d, size: reference_preprocess(d))
    """
    import functools

    from unetcheck.preprocess import load_image

    return functools.partial(load_image, size=unetcheck_settings["size"])


class Golden:
    """Golden files through pytest-regressions, with library versions recorded beside each.

    `check_data` (YAML, exact) and `check_arrays` (NPZ, with tolerances) write
    `NAME.versions.yml` next to the golden whenever it is (re)generated, and a failure
    names the versions it was recorded with. Regenerate with `pytest --force-regen`.
    """

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def _versions(self) -> dict[str, str]:
        import keras
        import numpy as np

        versions = {"keras": keras.__version__, "keras_backend": keras.backend.backend(), "numpy": np.__version__}
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            versions["tensorflow"] = tf.__version__
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
            raise AssertionError(f"{err}\n\ngolden {path.name} was recorded with {recorded}; "
                                 f"installed: {self._versions()}") from None
        if fresh or not sidecar.exists():
            sidecar.write_text(yaml.safe_dump(self._versions(), sort_keys=True))

    def check_data(self, data: dict, path: str | os.PathLike) -> None:
        """Compares `data` (YAML-serializable) with the golden at `path` exactly."""
        __tracebackhide__ = True
        path = Path(path)
        self._run("data_regression", path, lambda fx: fx.check(data, fullpath=path))

    def check_arrays(self, arrays: dict, path: str | os.PathLike, tolerances: dict | None = None,
                     default_tolerance: dict | None = None) -> None:
        """Compares `{name: array}` with the NPZ golden at `path`, within per-key tolerances."""
        __tracebackhide__ = True
        path = Path(path)
        self._run("ndarrays_regression", path, lambda fx: fx.check(
            arrays, fullpath=path, tolerances=tolerances, default_tolerance=default_tolerance))


@pytest.fixture
def unetcheck_golden(request: pytest.FixtureRequest) -> Golden:
    """Golden files with versions recorded (needs pytest-regressions).

        def test_structure(unetcheck_golden):
            unetcheck_golden.check_data({"params": 6504227}, "fixtures/structure.yml")
            unetcheck_golden.check_arrays({"logits": out}, "fixtures/logits.npz",
                                          default_tolerance={"atol": 1e-5, "rtol": 1e-5})
    """
    return Golden(request)
