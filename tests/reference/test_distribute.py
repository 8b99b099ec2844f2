"""tf.distribute: 2 replicas (logical CPUs, or 2 worker processes) against one device, per BatchNorm kind."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from tests.paths import ROOT
from unetcheck import calibrate_encoder, unet_model
from unetcheck.reference.distribute import make_strategy
from tests.harness.parity import write_reference_inputs

pytestmark = pytest.mark.distributed


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Weights after 3 SGD steps on one global batch of 16: one device and 2 replicas, each BatchNorm kind."""
    folder = tmp_path_factory.mktemp("distribute")
    write_reference_inputs(folder, num_images=16, seed=12)
    # A fresh process: logical devices must be made before TensorFlow starts its runtime.
    proc = subprocess.run(
        [sys.executable, "-m", "tests.harness.distribute_steps", "--weights", str(folder / "ref.weights.h5"),
         "--batch", str(folder / "batch.npz"), "--out", str(folder / "runs.npz"), "--steps", "3"],
        cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {**np.load(folder / "runs.npz"), "_folder": folder}


def _gap(runs: dict, sync: int) -> float:
    keys = [k for k in runs if k.startswith(f"replicas_sync{sync}_")]
    assert len(keys) > 200  # every weight of the U-Net, moving statistics included
    return max(float(np.max(np.abs(runs[k].astype(np.float64) - runs[k.replace("replicas", "single")])))
               for k in keys)


def test_two_replicas_with_synchronized_batchnorm_equal_one_device(runs):
    assert json.loads(str(runs["meta"]))["replicas"] == 2
    # Only float rounding differs between the runs: measured 7.2e-6 with the default
    # (fused) model, whose frozen encoder's BatchNorm grappler folds into the convolutions,
    # 1.1e-7 with fused=False; 3 SGD steps at lr 0.1 amplify it. 1e-4 keeps the two cases
    # apart: per-replica BatchNorm drifts by 3.1e-3, pinned above 1e-4 below.
    assert _gap(runs, sync=1) <= 1e-4


def test_per_replica_batchnorm_drift_is_pinned(runs):
    # pix2pix's BatchNorm normalizes each replica's half batch with its own statistics, so
    # the gradients differ: measured 3.1e-3 after 3 steps. Below 1e-4 would mean the two
    # halves were normalized alike (the split is no longer per replica); above 0.1, a bug.
    assert 1e-4 < _gap(runs, sync=0) < 0.1


def test_strategy_errors():
    with pytest.raises(ValueError, match="needs the cluster in TF_CONFIG"):
        make_strategy("multiworker")
    with pytest.raises(ValueError, match="unknown strategy"):
        make_strategy("parameter_server")


#: How long a worker may take; a hung one is killed, with its partner, after this.
WORKER_TIMEOUT_S = 300
#: What a worker prints when its port was taken between our choosing and its binding it.
PORT_TAKEN = ("Address already in use", "Could not start gRPC server")


def _free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports: all bound at once (so never the same twice), then freed."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _start_and_wait(args: list[str], per_worker, ports: list[int]) -> list[tuple[int, str]]:
    """Starts one worker per port and waits for all; kills every worker still running when one
    exceeds WORKER_TIMEOUT_S or when the test is interrupted."""
    workers = [f"127.0.0.1:{port}" for port in ports]
    procs = []
    try:
        for index in range(len(ports)):
            tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": json.dumps(tf_config)}
            procs.append(subprocess.Popen([sys.executable, *args, *per_worker(index)], cwd=ROOT, env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        deadline = time.monotonic() + WORKER_TIMEOUT_S
        results = []
        for proc in procs:
            try:
                output = proc.communicate(timeout=max(deadline - time.monotonic(), 1))[0]
            except subprocess.TimeoutExpired:
                pytest.fail(f"a worker ran past {WORKER_TIMEOUT_S} s; both were killed")
            results.append((proc.returncode, output))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def _run_workers(args: list[str], per_worker=lambda index: [], attempts: int = 3) -> list[str]:
    """Runs `python ARGS` as 2 workers of one cluster on loopback ports; returns their outputs.

    A port can be taken by another process between `_free_ports` and the worker's bind; then
    the cluster is started again on new ports, up to `attempts` times.
    """
    for _ in range(attempts):
        results = _start_and_wait(args, per_worker, _free_ports(2))
        if not any(code != 0 and any(m in out for m in PORT_TAKEN) for code, out in results):
            break
    for code, output in results:
        assert code == 0, output[-3000:]
    return [output for _, output in results]


def test_free_ports_are_distinct():
    assert len(set(_free_ports(8))) == 8


def test_two_workers_on_localhost_equal_one_device(tmp_path, runs):
    """MultiWorkerMirroredStrategy, 2 processes, loopback ports only, custom training loop."""
    folder = tmp_path
    for name in ("ref.weights.h5", "batch.npz"):
        shutil.copy(runs["_folder"] / name, folder / name)
    _run_workers(["-m", "tests.harness.distribute_steps", "--strategy", "multiworker", "--weights",
                  str(folder / "ref.weights.h5"), "--batch", str(folder / "batch.npz"),
                  "--out", str(folder / "worker{task}.npz"), "--steps", "3"])
    chief, other = (dict(np.load(folder / f"worker{i}.npz")) for i in range(2))
    assert json.loads(str(chief["meta"]))["replicas"] == 2
    # As with MirroredStrategy in one process (bound explained there).
    assert _gap(chief, sync=1) <= 1e-4
    assert 1e-4 < _gap(chief, sync=0) < 0.1  # measured 3.1e-3, the per-replica drift pinned above
    # With synchronized BatchNorm both workers hold the same model. With per-replica
    # BatchNorm they share every trainable weight (gradients are all-reduced) but each keeps
    # its own moving statistics: measured, the 8 decoder moving_mean/variance differ.
    paths = json.loads(str(chief["meta"]))["paths"]
    for key in (k for k in chief if k.startswith("replicas_sync1_")):
        np.testing.assert_allclose(chief[key], other[key], rtol=0, atol=1e-6)
    differ = {paths[int(k.rsplit("_", 1)[1])] for k in chief if k.startswith("replicas_sync0_")
              and not np.allclose(chief[k], other[k], rtol=0, atol=1e-6)}
    assert len(differ) == 8 and all("/moving_" in p for p in differ), sorted(differ)


def test_verify_on_two_workers(tmp_path):
    """`unetcheck verify --strategy multiworker`: 2 processes, each with its TF_CONFIG and --out."""
    outputs = _run_workers(["-m", "unetcheck", "verify", "--quick", "--size", "32", "--num-train", "64",
                            "--epochs", "6", "--strategy", "multiworker", "--sync-batchnorm"],
                           per_worker=lambda index: ["--out", str(tmp_path / f"w{index}")])
    # Each exit code 0: every check passed, learning included.
    assert "Epoch 6/6 - accuracy:" in outputs[0]
    chief, other = (json.loads((tmp_path / f"w{i}" / "metrics.json").read_text()) for i in range(2))
    assert (chief["strategy"], chief["replicas"]) == ("multiworker", 2)
    assert chief["loss"] == other["loss"] and chief["miou"] == other["miou"]  # one model, two workers


@pytest.mark.parametrize("class_weights", [None, (2.0, 2.0, 1.0)], ids=["plain", "sample_weights"])
def test_loop_trains_exactly_as_fit(class_weights):
    """fit_with_loop on the default strategy against Model.fit: same data, weights, steps."""
    import tensorflow as tf

    from unetcheck import compile_model, make_pipelines, synthetic_pets
    from unetcheck.checks import snapshot
    from unetcheck.reference.loop import fit_with_loop

    source = synthetic_pets(num_train=16, num_test=8, seed=5)
    results = []
    for use_loop in (False, True):
        # Seed first (tf.data's shuffle order depends on the global seed too), then fresh
        # pipelines: Augment's random state advances as batches are drawn.
        keras.utils.set_random_seed(1)
        pipes = make_pipelines(source, size=32, batch_size=8, seed=5, class_weights=class_weights)
        images = next(iter(pipes.test))[0]
        model = unet_model(input_size=32)
        calibrate_encoder(model, images)
        compile_model(model)
        if use_loop:
            history = fit_with_loop(model, tf.distribute.get_strategy(), pipes.train, 2, 2, pipes.test, 1, verbose=0)
        else:
            history = model.fit(pipes.train, epochs=2, steps_per_epoch=2, validation_data=pipes.test,
                                validation_steps=1, verbose=0, shuffle=False)
        results.append((list(snapshot(model).values()), history.history))
    (fit_weights, fit_logs), (loop_weights, loop_logs) = results
    # Same kernels, same order of updates: only float summation order may differ (measured ~1e-7).
    gap = max(float(np.max(np.abs(a - b))) for a, b in zip(fit_weights, loop_weights))
    assert gap <= 1e-5, f"weights differ by {gap:.3g}"
    np.testing.assert_allclose(loop_logs["val_loss"], fit_logs["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(loop_logs["val_accuracy"], fit_logs["val_accuracy"], rtol=1e-5)
