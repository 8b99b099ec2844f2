"""Test harness: the reference trained a few SGD steps under tf.distribute, in a process of its own.

    python -m tests.harness.distribute_steps --weights W.weights.h5 --batch B.npz --out OUT.npz --steps 3

trains the reference N steps on one global batch on 2 logical CPUs with per-replica and
with synchronized BatchNorm, then on one device (the tutorial's BatchNorm: with one
replica, synchronized BatchNorm computes the same statistics), and writes every weight of
each run. With `--strategy multiworker`, run one process per worker with TF_CONFIG set;
the chief (task 0) alone makes the one-device run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from unetcheck.reference.distribute import make_strategy


def _sgd_reference(strategy: Any, weights_path: str, size: int, sync_batchnorm: bool) -> Any:
    """The reference with `weights_path`'s weights, compiled with SGD(0.1), under `strategy`."""
    import keras

    from unetcheck.reference.model import unet_model

    with strategy.scope():
        model = unet_model(input_size=size, sync_batchnorm=sync_batchnorm)
        model.load_weights(weights_path)
        model.compile(
            optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
    return model


def train_steps(
    strategy: Any, weights_path: str, images: np.ndarray, masks: np.ndarray, steps: int, sync_batchnorm: bool
) -> dict[str, np.ndarray]:
    """Every weight of the reference (by path) after `steps` SGD steps on one global batch under `strategy`."""
    import keras
    import tensorflow as tf

    model = _sgd_reference(strategy, weights_path, images.shape[1], sync_batchnorm)
    data = tf.data.Dataset.from_tensors((images, masks)).repeat()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    model.fit(data.with_options(options), steps_per_epoch=steps, epochs=1, verbose=0)
    return {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}


def loop_steps(
    strategy: Any, weights_path: str, images: np.ndarray, masks: np.ndarray, steps: int, sync_batchnorm: bool
) -> dict[str, np.ndarray]:
    """As `train_steps`, through `unetcheck.reference.loop.fit_with_loop` (the main job's loop under
    MultiWorkerMirroredStrategy, where Keras 3's `fit` fails: keras-team/keras#20585)."""
    import keras
    import tensorflow as tf

    from unetcheck.reference.loop import fit_with_loop

    model = _sgd_reference(strategy, weights_path, images.shape[1], sync_batchnorm)
    batch = tf.data.Dataset.from_tensors((images, masks))
    fit_with_loop(
        model,
        strategy,
        batch.repeat(),
        epochs=1,
        steps_per_epoch=steps,
        validation_data=batch,
        validation_steps=1,
        verbose=0,
    )
    return {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}


def weight_gap(runs: dict, sync: int) -> float:
    """The largest difference between any weight of the 2-replica run (synchronized BatchNorm
    or not) and the one-device run, from the arrays `main` writes."""
    keys = [k for k in runs if k.startswith(f"replicas_sync{sync}_")]
    assert len(keys) > 200  # every weight of the U-Net, moving statistics included
    return max(float(np.max(np.abs(runs[k].astype(np.float64) - runs[f"single_{k.rsplit('_', 1)[1]}"]))) for k in keys)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.harness.distribute_steps", description=__doc__)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--batch", required=True)
    parser.add_argument("--out", required=True, help="the .npz to write; '{task}' becomes the worker's index")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--cpu-replicas", type=int, default=2, help="logical CPUs for mirrored")
    parser.add_argument(
        "--strategy",
        choices=("mirrored", "multiworker"),
        default="mirrored",
        help="multiworker: one process per worker, cluster in TF_CONFIG, custom training loop",
    )
    args = parser.parse_args(argv)
    import tensorflow as tf

    batch = np.load(args.batch)
    images, masks = batch["images"], batch["masks"]
    if args.strategy == "mirrored":
        strategy, run = make_strategy("mirrored", args.cpu_replicas), train_steps
    else:
        strategy, run = tf.distribute.MultiWorkerMirroredStrategy(), loop_steps
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {}).get("index", 0)
    runs = {
        f"replicas_sync{int(sync)}": run(strategy, args.weights, images, masks, args.steps, sync)
        for sync in (False, True)
    }
    if task == 0:
        runs["single"] = run(tf.distribute.OneDeviceStrategy("/cpu:0"), args.weights, images, masks, args.steps, False)
    flat = {f"{name}_{i:03d}": w for name, weights in runs.items() for i, w in enumerate(weights.values())}
    meta = {
        "replicas": strategy.num_replicas_in_sync,
        "steps": args.steps,
        "strategy": args.strategy,
        "paths": list(runs["replicas_sync0"]),
    }
    np.savez(args.out.replace("{task}", str(task)), meta=np.array(json.dumps(meta)), **flat)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
