"""Compute precision of a model: float32 by default, mixed precisions as an explicit opt-in."""

from __future__ import annotations

import contextlib
from typing import Iterator

from unetcheck.errors import InputError

#: Keras dtype policies a model can be built with. The mixed ones change the arithmetic
#: (bfloat16 moves logits by ~1.6% of their scale, tests/test_precision.py).
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@contextlib.contextmanager
def precision(policy: str = "float32") -> Iterator[None]:
    """Builds the layers created inside with Keras dtype policy `policy`, then restores the old one.

    Raises:
      ValueError: a policy not in `PRECISIONS`.
    """
    if policy not in PRECISIONS:
        raise InputError(f"precision must be one of {PRECISIONS}; got {policy!r}")
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
