"""Which accelerators the Keras backend sees, and pinning work to the CPU."""

from __future__ import annotations

import contextlib
from typing import Iterator

import keras


def visible_gpus() -> list[str]:
    """Names of the GPUs the active Keras backend can use (empty when none)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        try:
            return [str(d) for d in jax.devices("gpu")]
        except RuntimeError:  # jax raises when the platform has no device
            return []
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


@contextlib.contextmanager
def on_cpu() -> Iterator[None]:
    """Runs the enclosed Keras work on the CPU, whatever the backend's default device."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.device("/CPU:0"):
            yield
    elif backend == "jax":
        import jax

        with jax.default_device(jax.devices("cpu")[0]):
            yield
    else:
        with keras.device("cpu:0"):
            yield
