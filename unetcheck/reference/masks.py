"""Turning the model's logits into label masks."""

from __future__ import annotations

from typing import Any

from keras import ops


def create_mask(pred_mask: Any) -> Any:
    """Returns the argmax class per pixel, keeping a channel axis.

    `(B, H, W, C)` logits give `(B, H, W, 1)` int32 masks; a single `(H, W, C)` gives
    `(H, W, 1)`. Unlike the tutorial, which returns only `pred_mask[0]`, the whole batch
    is kept: take `[0]` yourself for the first example.

    Raises:
      ValueError: input of rank other than 3 or 4.
    """
    pred_mask = ops.convert_to_tensor(pred_mask)
    if len(pred_mask.shape) not in (3, 4):
        raise ValueError(
            "create_mask expects logits of shape (batch, height, width, classes) or "
            f"(height, width, classes); got shape {tuple(pred_mask.shape)}"
        )
    return ops.cast(ops.expand_dims(ops.argmax(pred_mask, axis=-1), -1), "int32")
