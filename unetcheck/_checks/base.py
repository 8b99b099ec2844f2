"""What every check shares: the message prefix, custom messages, array conversion."""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., None])


def check(fn: F) -> F:
    """Gives a check its "[unetcheck.NAME]" prefix and an optional `custom_message=` argument.

    The body raises `AssertionError` with what, where and how much; `ValueError` (a
    caller's mistake) passes through unchanged.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, custom_message: str | None = None, **kwargs: Any) -> None:
        __tracebackhide__ = True
        try:
            fn(*args, **kwargs)
        except AssertionError as err:
            extra = f"{custom_message}: " if custom_message else ""
            raise AssertionError(f"[unetcheck.{fn.__name__}] {extra}{err}") from None

    return wrapper  # type: ignore[return-value]


def as_numpy(x: Any) -> np.ndarray:
    """NumPy view of a backend tensor, Keras variable or array-like."""
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    return np.asarray(x)


def snapshot_weights(weights: Sequence[Any]) -> dict[str, np.ndarray]:
    """Copies Keras variables into `{path: array}`, for comparing before and after."""
    return {w.path: np.array(as_numpy(w)) for w in weights}


def first_index(mask: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first True in `mask`, or None."""
    hits = np.argwhere(mask)
    return tuple(int(i) for i in hits[0]) if len(hits) else None


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.3g}%" if whole else "n/a"
