"""One model on every Keras backend, and XLA against plain TensorFlow, proven equal.

Each backend runs `python -m tests.harness.parity` in its own process (the backend is fixed
at import) from the same `.weights.h5` and batch; TensorFlow's results are the reference.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.paths import ROOT
from tests.harness.parity import step_outputs, write_reference_inputs

SIZE = 32
pytestmark = pytest.mark.backends


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A calibrated reference model's weights and one batch, written for the subprocesses."""
    folder = tmp_path_factory.mktemp("parity")
    write_reference_inputs(folder, num_images=8, seed=11, size=SIZE)
    return folder


def _run_backend(backend: str, folder, *extra: str) -> dict[str, np.ndarray]:
    out = folder / f"{backend}{'_'.join(extra)}.npz"
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.harness.parity", "--weights", str(folder / "ref.weights.h5"),
         "--batch", str(folder / "batch.npz"), "--out", str(out), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(np.load(out))


@pytest.fixture(scope="module")
def tensorflow_results(inputs):
    return _run_backend("tensorflow", inputs)


def _max_weight_gap(a: dict, b: dict) -> tuple[float, str]:
    gaps = {k: float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in a if k.startswith("w")}
    worst = max(gaps, key=gaps.get)
    return gaps[worst], worst


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_backend_matches_tensorflow(backend, inputs, tensorflow_results):
    if importlib.util.find_spec(backend) is None:
        pytest.fail(f"{backend} is not installed: install unetcheck[{backend}] (CI does)")
    ours, ref = _run_backend(backend, inputs), tensorflow_results
    assert str(ours["backend"]) == backend
    logit_gap = float(np.max(np.abs(ours["logits"] - ref["logits"])))
    scale = float(np.max(np.abs(ref["logits"])))
    # fp32 through ~60 layers with different kernels and summation orders: measured 2.6e-6
    # at a scale of 4.4 (6e-7 of it). 1e-3 of the scale allows for other CPUs' kernels while
    # staying far below what a wrong layer (e.g. another padding) would give (order 1).
    assert logit_gap <= 1e-3 * scale, f"{backend}: max logit gap {logit_gap:.3g} (scale {scale:.3g})"
    assert float(ours["loss"]) == pytest.approx(float(ref["loss"]), rel=1e-4)
    gap, worst = _max_weight_gap(ours, ref)
    # One SGD step (lr 0.1) moves weights by up to ~1e-2; float differences in the
    # gradients must stay far below that.
    assert gap <= 1e-4, f"{backend}: weights differ by {gap:.3g} after one step (worst {worst})"


def test_xla_matches_plain_tensorflow(inputs, tensorflow_results):
    batch = np.load(inputs / "batch.npz")
    xla = step_outputs(str(inputs / "ref.weights.h5"), batch["images"], batch["masks"], jit_compile=True)
    plain = step_outputs(str(inputs / "ref.weights.h5"), batch["images"], batch["masks"], jit_compile=False)
    # XLA fuses and reorders float operations: measured logit gap ~1e-6 at a scale of ~4.
    np.testing.assert_allclose(xla["logits"], plain["logits"], rtol=0, atol=1e-4)
    assert float(xla["loss"]) == pytest.approx(float(plain["loss"]), rel=1e-5)
    gap, worst = _max_weight_gap(xla, plain)
    # Measured 1.1e-5 (XLA fuses and reorders the reductions); the same bound as the backends.
    assert gap <= 1e-4, f"XLA step differs by {gap:.3g} (worst {worst})"
    # And the in-process run equals the subprocess reference.
    np.testing.assert_allclose(plain["logits"], tensorflow_results["logits"], rtol=0, atol=0)
