"""One model on every Keras backend, and XLA against plain TensorFlow, proven equal.

Each other backend runs `python -m tests.harness.parity` in its own process (the backend is
fixed at import) from the same `.weights.h5` and batch; TensorFlow's results, computed in
this process, are the reference (the same harness in a process of its own gave the same
logits bit for bit).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.harness.parity import step_outputs, write_reference_inputs
from tests.paths import ROOT
from tools.runner import one_thread

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
    env = {**one_thread(os.environ), "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.harness.parity",
            "--weights",
            str(folder / "ref.weights.h5"),
            "--batch",
            str(folder / "batch.npz"),
            "--out",
            str(out),
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(np.load(out))


@pytest.fixture(scope="module")
def tensorflow_results(inputs):
    """The reference: plain TensorFlow (no XLA), in this process."""
    batch = np.load(inputs / "batch.npz")
    return step_outputs(str(inputs / "ref.weights.h5"), batch["images"], batch["masks"], jit_compile=False)


def _max_weight_gap(a: dict, b: dict) -> tuple[float, str]:
    gaps = {k: float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in a if k.startswith("w")}
    worst = max(gaps, key=gaps.get)
    return gaps[worst], worst


#: Bounds, relative to the reference's largest logit (about 4.4) where so named. Measured on
#: an Intel Xeon (AVX-512): largest logit gaps 6.1e-7 of the scale (JAX), 5.4e-7 (PyTorch),
#: 3.8e-7 (XLA); loss 1.1e-7 relative; weights after one SGD step 2.0e-5 (JAX), 1.4e-5
#: (PyTorch), 6.5e-6 (XLA). The bounds leave a 30-fold margin for other CPUs' kernels on
#: the logits, where a BatchNorm epsilon off by 0.1% already moves them by 3.3e-4 of the
#: scale and PyTorch's default epsilon (1e-5 for Keras's 1e-3) by 0.36
#: (test_a_batchnorm_epsilon_slip_fails_the_bounds). One SGD step at learning rate 0.1 moves
#: weights by up to about 1e-2; the weight bound catches a wrong gradient, not a rounding.
LOGIT_BOUND = 2e-5
LOSS_BOUND = 1e-5
WEIGHT_BOUND = 1e-4


def _logit_gap(ours: dict, ref: dict) -> float:
    """The largest logit difference as a share of the reference's largest logit."""
    return float(np.max(np.abs(ours["logits"] - ref["logits"]))) / float(np.max(np.abs(ref["logits"])))


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_backend_matches_tensorflow(backend, inputs, tensorflow_results):
    if importlib.util.find_spec(backend) is None:
        pytest.fail(f"{backend} is not installed: install unetcheck[{backend}] (CI does)")
    ours, ref = _run_backend(backend, inputs), tensorflow_results
    assert str(ours["backend"]) == backend
    assert _logit_gap(ours, ref) <= LOGIT_BOUND, f"{backend}: logit gap {_logit_gap(ours, ref):.3g} of the scale"
    assert float(ours["loss"]) == pytest.approx(float(ref["loss"]), rel=LOSS_BOUND)
    gap, worst = _max_weight_gap(ours, ref)
    assert gap <= WEIGHT_BOUND, f"{backend}: weights differ by {gap:.3g} after one step (worst {worst})"


def test_xla_matches_plain_tensorflow(inputs, tensorflow_results):
    batch = np.load(inputs / "batch.npz")
    xla = step_outputs(str(inputs / "ref.weights.h5"), batch["images"], batch["masks"], jit_compile=True)
    plain = tensorflow_results
    assert _logit_gap(xla, plain) <= LOGIT_BOUND
    assert float(xla["loss"]) == pytest.approx(float(plain["loss"]), rel=LOSS_BOUND)
    gap, worst = _max_weight_gap(xla, plain)
    assert gap <= WEIGHT_BOUND, f"XLA step differs by {gap:.3g} (worst {worst})"


@pytest.mark.parametrize("epsilon", [1.001e-3, 1e-5], ids=["epsilon_0.1%_off", "pytorch_default_epsilon"])
def test_a_batchnorm_epsilon_slip_fails_the_bounds(inputs, tensorflow_results, epsilon):
    """The bounds above are tight enough to catch a porting slip in BatchNorm's epsilon."""
    batch = np.load(inputs / "batch.npz")
    slipped = step_outputs(
        str(inputs / "ref.weights.h5"), batch["images"], batch["masks"], jit_compile=False, batchnorm_epsilon=epsilon
    )
    assert _logit_gap(slipped, tensorflow_results) > 10 * LOGIT_BOUND  # measured 3.3e-4 and 0.36
    assert abs(float(slipped["loss"]) / float(tensorflow_results["loss"]) - 1) > LOSS_BOUND  # 2.4e-5, 9.5e-3
