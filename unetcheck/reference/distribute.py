"""tf.distribute for the reference: one device, MirroredStrategy, MultiWorkerMirroredStrategy.

Keras 3's `fit` fails under MultiWorkerMirroredStrategy (keras-team/keras#20585), so
there the reference trains with a hand-written `strategy.run` loop (`unetcheck.reference.loop`).

On a CPU machine, `cpu_replicas=N` splits the CPU into N logical devices so that a
multi-device run can be rehearsed. That must happen before TensorFlow initializes its
devices, i.e. first thing in a fresh process.
"""

from __future__ import annotations

import os
from typing import Any

from unetcheck.errors import InputError

STRATEGIES = ("default", "mirrored", "multiworker")


def configure_cpu_replicas(count: int) -> None:
    """Splits the first CPU into `count` logical devices.

    Raises:
      ValueError: `count` < 1, or TensorFlow has already initialized its devices.
    """
    import tensorflow as tf

    if count < 1:
        raise InputError(f"cpu_replicas must be >= 1; got {count}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError as err:
        raise InputError(
            "logical CPU devices must be configured before TensorFlow initializes its devices: "
            f"ask for cpu_replicas first thing in a fresh process ({err})"
        ) from err


def make_strategy(name: str = "default", cpu_replicas: int | None = None) -> Any:
    """The `tf.distribute` strategy called `name`: "default", "mirrored" or "multiworker".

    "mirrored" uses every GPU, or `cpu_replicas` logical CPUs; "multiworker" reads the
    cluster from TF_CONFIG (train under it with `unetcheck.reference.loop.fit_with_loop`: Keras 3's
    `fit` fails there, keras-team/keras#20585).

    Raises:
      ValueError: an unknown name, "multiworker" without TF_CONFIG, or logical devices
        asked for too late.
    """
    import tensorflow as tf

    if name not in STRATEGIES:
        raise InputError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")
    if name == "multiworker" and "TF_CONFIG" not in os.environ:
        raise InputError("--strategy multiworker needs the cluster in TF_CONFIG (see the README)")
    if cpu_replicas:
        configure_cpu_replicas(cpu_replicas)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = [f"/cpu:{i}" for i in range(cpu_replicas)] if cpu_replicas else None
    return tf.distribute.MirroredStrategy(devices)
