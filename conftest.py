"""Suite-wide settings: hypothesis profiles and the `gpu` marker's skip-with-reason."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Derandomized and bounded so a run is the same everywhere; "dev" explores more.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=20,
    deadline=None,  # TensorFlow's first call traces graphs: wall time per example varies
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", parent=settings.get_profile("ci"), derandomize=False, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
