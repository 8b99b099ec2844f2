"""Pinning Keras work to the CPU, whatever the backend's default device (which accelerators a
framework sees: `unetcheck.hardware`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras


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
