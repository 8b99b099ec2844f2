"""Which accelerators the Keras backend sees, what the CPU offers, and pinning work to the CPU."""

from __future__ import annotations

import contextlib
import functools
import os
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


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (`/proc/cpuinfo`; empty where it cannot be read)."""
    try:
        with open("/proc/cpuinfo") as f:
            line = next(line for line in f if line.startswith("flags"))
        return frozenset(line.split(":", 1)[1].split())
    except (OSError, StopIteration):
        return frozenset()


def onednn_avx512() -> bool:
    """Whether oneDNN runs AVX-512 kernels here: the CPU has AVX-512 and `ONEDNN_MAX_CPU_ISA`
    (oneDNN's documented cap) does not hold it to an older instruction set."""
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "ALL")).upper()
    if cap not in ("", "ALL", "DEFAULT") and not cap.startswith(("AVX512", "AVX10")) and "AMX" not in cap:
        return False
    return "avx512f" in cpu_flags()
