"""tf.distribute for the reference: one device, MirroredStrategy, MultiWorkerMirroredStrategy.

Keras 3's `fit` fails under MultiWorkerMirroredStrategy (keras-team/keras#20585), so
there the reference trains with a hand-written `strategy.run` loop (`unetcheck.loop`).

On a CPU machine, `cpu_replicas=N` splits the CPU into N logical devices so that a
multi-device run can be rehearsed. That must happen before TensorFlow initializes its
devices, i.e. first thing in a fresh process.

    python -m unetcheck.distribute --weights W.weights.h5 --batch B.npz --out OUT.npz --steps 3

trains the reference N steps on one global batch on one device, then on 2 logical CPUs
with per-replica and with synchronized BatchNorm, and writes every weight of each run.
With `--strategy multiworker`, run one process per worker with TF_CONFIG set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

import numpy as np

STRATEGIES = ("default", "mirrored", "multiworker")


def configure_cpu_replicas(count: int) -> None:
    """Splits the first CPU into `count` logical devices.

    Raises:
      ValueError: `count` < 1, or TensorFlow has already initialized its devices.
    """
    import tensorflow as tf

    if count < 1:
        raise ValueError(f"cpu_replicas must be >= 1; got {count}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError as err:
        raise ValueError(
            "logical CPU devices must be configured before TensorFlow initializes its devices: "
            f"ask for cpu_replicas first thing in a fresh process ({err})"
        ) from err


def make_strategy(name: str = "default", cpu_replicas: int | None = None) -> Any:
    """The `tf.distribute` strategy called `name`: "default", "mirrored" or "multiworker".

    "mirrored" uses every GPU, or `cpu_replicas` logical CPUs; "multiworker" reads the
    cluster from TF_CONFIG (train under it with `unetcheck.loop.fit_with_loop`: Keras 3's
    `fit` fails there, keras-team/keras#20585).

    Raises:
      ValueError: an unknown name, "multiworker" without TF_CONFIG, or logical devices
        asked for too late.
    """
    import tensorflow as tf

    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")
    if name == "multiworker" and "TF_CONFIG" not in os.environ:
        raise ValueError("--strategy multiworker needs the cluster in TF_CONFIG (see the README)")
    if cpu_replicas:
        configure_cpu_replicas(cpu_replicas)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = [f"/cpu:{i}" for i in range(cpu_replicas)] if cpu_replicas else None
    return tf.distribute.MirroredStrategy(devices)


def _sgd_reference(strategy: Any, weights_path: str, size: int, sync_batchnorm: bool) -> Any:
    """The reference with `weights_path`'s weights, compiled with SGD(0.1), under `strategy`."""
    import keras

    from unetcheck.model import unet_model

    with strategy.scope():
        model = unet_model(input_size=size, sync_batchnorm=sync_batchnorm)
        model.load_weights(weights_path)
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_steps(strategy: Any, weights_path: str, images: np.ndarray, masks: np.ndarray, steps: int,
                sync_batchnorm: bool) -> dict[str, np.ndarray]:
    """Every weight of the reference (by path) after `steps` SGD steps on one global batch under `strategy`."""
    import keras
    import tensorflow as tf

    model = _sgd_reference(strategy, weights_path, images.shape[1], sync_batchnorm)
    data = tf.data.Dataset.from_tensors((images, masks)).repeat()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    model.fit(data.with_options(options), steps_per_epoch=steps, epochs=1, verbose=0)
    return {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}


def loop_steps(strategy: Any, weights_path: str, images: np.ndarray, masks: np.ndarray, steps: int,
               sync_batchnorm: bool) -> dict[str, np.ndarray]:
    """As `train_steps`, through `unetcheck.loop.fit_with_loop` (the main job's loop under
    MultiWorkerMirroredStrategy, where Keras 3's `fit` fails: keras-team/keras#20585)."""
    import keras
    import tensorflow as tf

    from unetcheck.loop import fit_with_loop

    model = _sgd_reference(strategy, weights_path, images.shape[1], sync_batchnorm)
    batch = tf.data.Dataset.from_tensors((images, masks))
    fit_with_loop(model, strategy, batch.repeat(), epochs=1, steps_per_epoch=steps, validation_data=batch,
                  validation_steps=1, verbose=0)
    return {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unetcheck.distribute", description=__doc__)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--batch", required=True)
    parser.add_argument("--out", required=True, help="the .npz to write; '{task}' becomes the worker's index")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--cpu-replicas", type=int, default=2, help="logical CPUs for mirrored")
    parser.add_argument("--strategy", choices=("mirrored", "multiworker"), default="mirrored",
                        help="multiworker: one process per worker, cluster in TF_CONFIG, custom training loop")
    args = parser.parse_args(argv)
    import tensorflow as tf

    batch = np.load(args.batch)
    images, masks = batch["images"], batch["masks"]
    if args.strategy == "mirrored":
        strategy, run = make_strategy("mirrored", args.cpu_replicas), train_steps
    else:
        strategy, run = tf.distribute.MultiWorkerMirroredStrategy(), loop_steps
    runs = {}
    for sync in (False, True):
        runs[f"replicas_sync{int(sync)}"] = run(strategy, args.weights, images, masks, args.steps, sync)
        runs[f"single_sync{int(sync)}"] = run(tf.distribute.OneDeviceStrategy("/cpu:0"), args.weights,
                                              images, masks, args.steps, sync)
    flat = {f"{name}_{i:03d}": w for name, weights in runs.items() for i, w in enumerate(weights.values())}
    meta = {"replicas": strategy.num_replicas_in_sync, "steps": args.steps, "strategy": args.strategy,
            "paths": list(runs["single_sync0"])}
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {}).get("index", 0)
    np.savez(args.out.replace("{task}", str(task)), meta=np.array(json.dumps(meta)), **flat)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
