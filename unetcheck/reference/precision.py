"""Compute precision of a model: float32 by default, mixed precisions as an explicit opt-in."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from unetcheck.errors import InputError

#: Keras dtype policies a model can be built with. The mixed ones change the arithmetic
#: (bfloat16 moves logits by ~1.6% of their scale, tests/reference/test_precision.py).
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def check_precision(policy: str) -> None:
    """Raises where `policy` cannot run here, before anything is built with it.

    Raises:
      ValueError: a policy not in `PRECISIONS`, or mixed_bfloat16 on the TensorFlow backend
        where an `ONEDNN_MAX_CPU_ISA` cap leaves oneDNN no bfloat16 convolution.
    """
    if policy not in PRECISIONS:
        raise InputError(f"precision must be one of {PRECISIONS}; got {policy!r}")
    import keras

    from unetcheck.hardware import onednn_refuses_bfloat16

    if policy == "mixed_bfloat16" and keras.backend.backend() == "tensorflow" and onednn_refuses_bfloat16():
        variable = "ONEDNN_MAX_CPU_ISA" if "ONEDNN_MAX_CPU_ISA" in os.environ else "DNNL_MAX_CPU_ISA"
        raise InputError(
            f"mixed_bfloat16 cannot run under {variable}={os.environ[variable]}: on this CPU TensorFlow gives "
            "bfloat16 convolutions to oneDNN, and the cap withholds the instructions oneDNN computes "
            "them with. Unset the cap, or use float32"
        )


@contextlib.contextmanager
def precision(policy: str = "float32") -> Iterator[None]:
    """Builds the layers created inside with Keras dtype policy `policy`, then restores the old one.

    Raises:
      ValueError: see `check_precision`.
    """
    check_precision(policy)
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
