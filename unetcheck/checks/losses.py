"""Checks on a loss function itself: that pixels of a void label count for nothing.

A team that labels void (unlabelled, "don't care") pixels 255 must tell its loss to leave
them out (PyTorch's `ignore_index=255`, Keras's `ignore_class=255`). Forgotten, a PyTorch
loss fails on a CPU ("Target 255 is out of bounds"), but a loss that does not check its
targets (one-hot encodings, Dice losses, CUDA kernels) trains silently on them.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from unetcheck._core import KERAS_FAMILY, check, framework_of, gap_in_scale, scale_of, to_numpy

#: How a loss is called: PyTorch's `loss(input, target)` with (N, C, H, W) logits, Keras's
#: `loss(y_true, y_pred)` with (N, H, W, C) ones, or a plain function `fn(logits, labels)` on
#: NumPy arrays, (N, H, W, C).
CALLS = ("torch", "keras", "numpy")


def _call_style(loss: Any, call: str | None) -> str:
    if call is not None:
        if call not in CALLS:
            raise ValueError(f"call must be one of {CALLS}; got {call!r}")
        return call
    framework = framework_of(loss)
    if framework == "torch":
        return "torch"
    if framework in KERAS_FAMILY:
        return "keras"
    return "numpy"


def _evaluate(loss: Any, style: str, logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The loss (a scalar, or per-pixel values) of (N, H, W, C) logits and (N, H, W) labels."""
    if style == "torch":
        import torch

        value = loss(torch.from_numpy(np.ascontiguousarray(np.moveaxis(logits, -1, 1))), torch.from_numpy(labels))
    elif style == "keras":
        value = loss(labels, logits)
    else:
        value = loss(logits, labels)
    return np.asarray(to_numpy(value), np.float64)


@check
def assert_loss_ignores(
    loss: Any,
    ignore_index: int = 255,
    num_classes: int = 3,
    call: Literal["torch", "keras", "numpy"] | None = None,
    rtol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Checks that the loss leaves out pixels labelled `ignore_index`: changing the logits
    there changes neither the loss nor (so) its gradient.

    The loss is called on random logits and labels of 2 x 8 x 8 pixels, a quarter of them
    void, then with the void pixels' logits redrawn; the loss may move by `rtol` of its
    scale (float rounding), as a share of its largest value.

    Examples:
        >>> import numpy as np
        >>> def cross_entropy(logits, labels, ignore=None):
        ...     keep = labels != ignore
        ...     log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        ...     picked = np.take_along_axis(log_p, np.where(keep, labels, 0)[..., None], -1)[..., 0]
        ...     return -(picked * keep).sum() / keep.sum()
        >>> assert_loss_ignores(lambda x, y: cross_entropy(x, y, ignore=255))
        >>> assert_loss_ignores(lambda x, y: cross_entropy(x, np.minimum(y, 2)))  # void read as class 2
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_loss_ignores] changing the logits at the 32 void pixels (label 255) ...

    Args:
      loss: a PyTorch loss module (`nn.CrossEntropyLoss(ignore_index=255)`, smp's or MONAI's
        losses), a Keras loss (`SparseCategoricalCrossentropy(from_logits=True,
        ignore_class=255)`), or a function of (logits, labels).
      ignore_index: the void label.
      num_classes: the classes the other pixels are drawn from.
      call: how the loss is called (`CALLS`); by default from its framework: PyTorch
        modules `loss(input, target)`, Keras losses `loss(y_true, y_pred)`, functions
        `fn(logits, labels)` on NumPy arrays.
      rtol: the largest change allowed, as a share of the loss's scale.
      seed: the random logits' and labels' seed.

    Raises:
      AssertionError: the loss fails on the void label, or changes with its pixels' logits,
        by how much; with the option that leaves them out.
      ValueError: a loss that cannot be called this way, or that no logit moves.
    """
    style = _call_style(loss, call)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, (2, 8, 8)).astype(np.int64)
    logits = rng.normal(size=(2, 8, 8, num_classes)).astype(np.float32)
    void = np.zeros(labels.shape, bool)
    void.reshape(-1)[rng.permutation(void.size)[: void.size // 4]] = True
    try:
        plain = _evaluate(loss, style, logits, labels)
    except Exception as err:  # noqa: BLE001 - what the loss raises is the caller's to read
        raise ValueError(
            f"the loss fails on labels 0..{num_classes - 1} called as {style!r} "
            f"({type(err).__name__}: {str(err)[:200]}): pass call="
        ) from None
    moved = logits.copy()
    moved[~void] += rng.normal(scale=3.0, size=moved[~void].shape).astype(np.float32)
    if not gap_in_scale(
        float(np.max(np.abs(_evaluate(loss, style, moved, labels) - plain))), scale_of(plain), rtol, 0.0
    ):
        raise ValueError("the loss does not change with the logits of labelled pixels: not a loss of these logits")
    labels[void] = ignore_index
    hint = f"leave them out (PyTorch: ignore_index={ignore_index}; Keras: ignore_class={ignore_index})"
    try:
        before = _evaluate(loss, style, logits, labels)
    except Exception as err:  # noqa: BLE001
        raise AssertionError(
            f"the loss fails on labels holding {ignore_index} ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:200]}): it reads the void label as a class; {hint}"
        ) from None
    redrawn = logits.copy()
    redrawn[void] = rng.normal(scale=3.0, size=redrawn[void].shape).astype(np.float32)
    after = _evaluate(loss, style, redrawn, labels)
    if not np.isfinite(before).all() or not np.isfinite(after).all():
        raise AssertionError(f"the loss is not finite with pixels labelled {ignore_index}: {hint}")
    too_far = gap_in_scale(float(np.max(np.abs(after - before))), scale_of(before), rtol, 0.0, "the loss")
    if too_far:
        raise AssertionError(
            f"changing the logits at the {int(void.sum())} void pixels (label {ignore_index}) "
            f"changes the loss by {too_far}: it counts them; {hint}"
        )
