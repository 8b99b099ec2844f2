"""What this machine offers: the GPUs a framework sees, the CPU's feature flags, the
instruction sets oneDNN may use. Imports no framework until one is asked about."""

from __future__ import annotations

import functools
import os
import platform


def visible_gpus(framework: str) -> list[str]:
    """Names of the GPUs `framework` ("keras": the active Keras backend, "tensorflow", "jax"
    or "torch") can use, empty when none; imports only that framework."""
    if framework == "keras":
        import keras

        framework = keras.backend.backend()
    if framework == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if framework == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    if framework == "jax":
        import jax

        try:
            return [str(d) for d in jax.devices("gpu")]
        except RuntimeError:  # jax raises when the platform has no device
            return []
    raise ValueError(f"visible_gpus knows 'keras', 'tensorflow', 'torch' and 'jax'; got {framework!r}")


def cpu_model() -> str:
    """The CPU's model name (`/proc/cpuinfo`), which every speed figure is stated with."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line for line in f if line.startswith("model name")).split(":", 1)[1].strip()
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (`/proc/cpuinfo`; empty where it cannot be read)."""
    try:
        with open("/proc/cpuinfo") as f:
            line = next(line for line in f if line.startswith("flags"))
        return frozenset(line.split(":", 1)[1].split())
    except (OSError, StopIteration):
        return frozenset()


#: oneDNN's instruction-set names in increasing order; names on one line are aliases.
_ONEDNN_ISAS = (
    "SSE41",
    "AVX",
    "AVX2",
    "AVX2_VNNI",
    "AVX2_VNNI_2",
    "AVX512_CORE",
    "AVX512_CORE_VNNI",
    "AVX512_CORE_BF16",
    "AVX512_CORE_FP16 AVX10_1_512",
    "AVX512_CORE_AMX AVX10_1_512_AMX",
    "AVX512_CORE_AMX_FP16 AVX10_1_512_AMX_FP16",
)


def onednn_allows(isa: str) -> bool:
    """Whether `ONEDNN_MAX_CPU_ISA` (oneDNN's documented cap; `DNNL_MAX_CPU_ISA` before it) lets
    oneDNN use `isa` (a name of `_ONEDNN_ISAS`); no cap, or one not known here, allows all."""
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "ALL")).upper()
    rank = {name: i for i, names in enumerate(_ONEDNN_ISAS) for name in names.split()}
    return cap not in rank or rank[isa] <= rank[cap]


def onednn_refuses_bfloat16(flags: frozenset[str] | None = None) -> bool:
    """Whether TensorFlow hands bfloat16 work to oneDNN here while `ONEDNN_MAX_CPU_ISA` withholds
    the instructions oneDNN computes it with: every bfloat16 convolution then fails ("could not
    create a primitive descriptor"). TensorFlow routes bfloat16 to oneDNN on any CPU with
    AVX512F or AVX_NE_CONVERT; oneDNN needs AVX512_CORE or AVX2_VNNI_2 for it."""
    flags = cpu_flags() if flags is None else flags
    routed = "avx512f" in flags or "avx_ne_convert" in flags
    computed = ("avx512f" in flags and onednn_allows("AVX512_CORE")) or (
        "avx_ne_convert" in flags and onednn_allows("AVX2_VNNI_2")
    )
    return routed and not computed


def onednn_avx512() -> bool:
    """Whether oneDNN runs AVX-512 kernels here: the CPU has AVX-512 and no cap holds oneDNN
    to an older instruction set."""
    return onednn_allows("AVX512_CORE") and "avx512f" in cpu_flags()
