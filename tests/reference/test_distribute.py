"""tf.distribute in one process: 2 replicas on logical CPUs against one device, per BatchNorm kind."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.harness.distribute_steps import weight_gap
from tests.harness.parity import write_reference_inputs
from tests.paths import ROOT
from tools.runner import one_thread
from unetcheck.reference.distribute import make_strategy

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Weights after 3 SGD steps on one global batch of 16: 2 replicas with each BatchNorm kind, and one device."""
    folder = tmp_path_factory.mktemp("distribute")
    write_reference_inputs(folder, num_images=16, seed=12)
    # A fresh process: logical devices must be made before TensorFlow starts its runtime.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.harness.distribute_steps",
            "--weights",
            str(folder / "ref.weights.h5"),
            "--batch",
            str(folder / "batch.npz"),
            "--out",
            str(folder / "runs.npz"),
            "--steps",
            "3",
        ],
        cwd=ROOT,
        env={**one_thread(os.environ), "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {**np.load(folder / "runs.npz"), "_folder": folder}


def test_two_replicas_with_synchronized_batchnorm_equal_one_device(runs):
    assert json.loads(str(runs["meta"]))["replicas"] == 2
    # Only float rounding differs between the runs: measured 1.3e-7 against the one-device
    # run (the tutorial's BatchNorm; 7.2e-6 where grappler folded the frozen encoder's
    # BatchNorm into the convolutions); 3 SGD steps at lr 0.1 amplify it. 1e-4 keeps the two
    # cases apart: per-replica BatchNorm drifts by 3.1e-3, pinned above 1e-4 below.
    assert weight_gap(runs, sync=1) <= 1e-4


def test_per_replica_batchnorm_drift_is_pinned(runs):
    # pix2pix's BatchNorm normalizes each replica's half batch with its own statistics, so
    # the gradients differ: measured 3.1e-3 after 3 steps. Below 1e-4 would mean the two
    # halves were normalized alike (the split is no longer per replica); above 0.1, a bug.
    assert 1e-4 < weight_gap(runs, sync=0) < 0.1


def test_strategy_errors():
    with pytest.raises(ValueError, match="needs the cluster in TF_CONFIG"):
        make_strategy("multiworker")
    with pytest.raises(ValueError, match="unknown strategy"):
        make_strategy("parameter_server")
