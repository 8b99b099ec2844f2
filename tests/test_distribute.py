"""tf.distribute: 2 logical CPU replicas against one device, with synchronized and per-replica BatchNorm."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from tests.paths import ROOT
from unetcheck import calibrate_encoder, synthetic_example, unet_model
from unetcheck.distribute import make_strategy

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Weights after 3 SGD steps on one global batch of 16: one device and 2 replicas, each BatchNorm kind."""
    folder = tmp_path_factory.mktemp("distribute")
    examples = [synthetic_example((12, i), 32, 32) for i in range(16)]
    images = np.stack([e["image"] for e in examples]).astype(np.float32) / 255.0
    masks = np.stack([e["segmentation_mask"] for e in examples]).astype(np.int32) - 1
    keras.utils.set_random_seed(0)
    model = unet_model(input_size=32)
    calibrate_encoder(model, images)
    model.save_weights(folder / "ref.weights.h5")
    np.savez(folder / "batch.npz", images=images, masks=masks)
    # A fresh process: logical devices must be made before TensorFlow starts its runtime.
    proc = subprocess.run(
        [sys.executable, "-m", "unetcheck.distribute", "--weights", str(folder / "ref.weights.h5"),
         "--batch", str(folder / "batch.npz"), "--out", str(folder / "runs.npz"), "--steps", "3"],
        cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(np.load(folder / "runs.npz"))


def _gap(runs: dict, sync: int) -> float:
    keys = [k for k in runs if k.startswith(f"replicas_sync{sync}_")]
    assert len(keys) > 200  # every weight of the U-Net, moving statistics included
    return max(float(np.max(np.abs(runs[k].astype(np.float64) - runs[k.replace("replicas", "single")])))
               for k in keys)


def test_two_replicas_with_synchronized_batchnorm_equal_one_device(runs):
    assert json.loads(str(runs["meta"]))["replicas"] == 2
    # Measured 1.1e-7: only the order of float sums differs between the runs.
    assert _gap(runs, sync=1) <= 1e-5


def test_per_replica_batchnorm_drift_is_pinned(runs):
    # pix2pix's BatchNorm normalizes each replica's half batch with its own statistics, so
    # the gradients differ: measured 3.1e-3 after 3 steps. Below 1e-4 would mean the two
    # halves were normalized alike (the split is no longer per replica); above 0.1, a bug.
    assert 1e-4 < _gap(runs, sync=0) < 0.1


def test_multiworker_is_refused_with_the_reason(monkeypatch):
    with pytest.raises(ValueError, match="needs the cluster in TF_CONFIG"):
        make_strategy("multiworker")
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["127.0.0.1:1"]},
                                                "task": {"type": "worker", "index": 0}}))
    with pytest.raises(ValueError, match=r"keras-team/keras#20585"):
        make_strategy("multiworker")
    with pytest.raises(ValueError, match="unknown strategy"):
        make_strategy("parameter_server")
