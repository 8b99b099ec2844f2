"""Per-pixel class weights passed to Keras as `sample_weight`.

`fit(class_weight=...)` is not a safe way to weight per-pixel targets on Keras 3 (see
`tests.harness.class_weight_probe`); the tutorial's `add_sample_weights` is, and is reproduced here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import ops

from unetcheck.errors import InputError

#: The tutorial's class weights: pet 2, background 2, border 1.
TUTORIAL_CLASS_WEIGHTS = (2.0, 2.0, 1.0)


def normalized_class_weights(class_weights: Sequence[float]) -> list[float]:
    """Returns `class_weights` divided by their sum.

    Raises:
      ValueError: an empty sequence, a negative or non-finite weight, or a zero sum.
    """
    weights = [float(w) for w in class_weights]
    if not weights:
        raise InputError("class_weights is empty; give one weight per class")
    bad = [w for w in weights if not (w >= 0.0 and w < float("inf"))]
    if bad:
        raise InputError(f"class weights must be finite and >= 0; got {weights}")
    total = sum(weights)
    if total <= 0.0:
        raise InputError(f"class weights must not all be zero; got {weights}")
    return [w / total for w in weights]


def add_sample_weights(
    image: Any, label: Any, class_weights: Sequence[float] = TUTORIAL_CLASS_WEIGHTS
) -> tuple[Any, Any, Any]:
    """Appends per-pixel weights: each pixel gets its class's weight, weights summing to 1.

    Args:
      image: passed through unchanged.
      label: integer mask (..., H, W, 1) of class ids in [0, len(class_weights)).
      class_weights: one weight per class (the tutorial's [2, 2, 1] by default).

    Returns:
      `(image, label, sample_weights)`, weights float32 of the label's shape.
    """
    weights = ops.convert_to_tensor(normalized_class_weights(class_weights), dtype="float32")
    # take() fails on CPU but yields 0 on GPU for an index out of range: labels are
    # checked upstream by load_image, so an index here is always a class id.
    sample_weights = ops.take(weights, ops.cast(label, "int32"))
    return image, label, sample_weights
