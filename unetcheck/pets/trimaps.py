"""Splits, trimap labels, the model's classes, and what makes an example's trimap usable.

The one definition of each: the TensorFlow loader, the NumPy path, the data scan and the
checks all word their errors through the functions here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from unetcheck.errors import InputError

#: The dataset's splits: its `trainval.txt` list is "train", `test.txt` is "test".
SPLITS = ("train", "test")
#: Trimap values, as the dataset's README defines them: 1 pet, 2 background, 3 border
#: ("not classified"). The tutorial's text swaps the meaning of 2 and 3; the data does not.
TRIMAP_LABELS = (1, 2, 3)
#: Class ids after `normalize` shifts the trimap down by one: 0 pet, 1 background, 2 border.
CLASS_NAMES = ("pet", "background", "border")
NUM_CLASSES = len(CLASS_NAMES)
#: How a valid trimap's values are described in every error message.
TRIMAP_RULE = "trimap labels in 1..3 (1 pet, 2 background, 3 border)"


def to_classes(trimap: Any) -> Any:
    """Class ids 0..2 from trimap values 1..3 (the tutorial's `mask -= 1`), for a NumPy array or
    a TensorFlow tensor of any integer dtype."""
    return trimap - TRIMAP_LABELS[0]


def float_mask_problem(dtype_name: str) -> str:
    """Why a mask of a float dtype is refused: what it should be, and the usual cause."""
    return (
        f"mask must have an integer dtype ({TRIMAP_RULE}); got {dtype_name}. "
        "A float mask usually means it was resized bilinearly: use method='nearest'."
    )


def size_problem(image_hw: Sequence[int], mask_hw: Sequence[int]) -> str | None:
    """Why a trimap of `mask_hw` cannot label an image of `image_hw`, or None."""
    (ih, iw), (mh, mw) = (tuple(int(v) for v in image_hw), tuple(int(v) for v in mask_hw))
    if (ih, iw) != (mh, mw):
        return f"trimap is {mh}x{mw} but its image is {ih}x{iw}"
    return None


def range_problem(low: int, high: int) -> str | None:
    """Why a trimap whose values span `low`..`high` is not one, or None."""
    if low < TRIMAP_LABELS[0] or high > TRIMAP_LABELS[-1]:
        return f"mask values must be {TRIMAP_RULE}; got min {low}, max {high}"
    return None


def image_range_problem(low: float, high: float) -> str | None:
    """Why a float image whose values span `low`..`high` is not raw pixel values, or None."""
    if low < 0.0 or high > 255.0:
        return f"float image values must lie in [0, 255] (raw pixel values); got min {low:g}, max {high:g}"
    return None


def histogram_problem(counts: Sequence[int]) -> str | None:
    """Why a trimap with `counts[v]` pixels of value v is not one (naming the values), or None."""
    counts = np.asarray(counts)
    outside = [int(v) for v in np.flatnonzero(counts) if v not in TRIMAP_LABELS]
    if outside:
        return f"trimap values {outside[:8]} outside 1..3 ({int(counts[outside].sum())} pixels)"
    return None


def check_example(image: np.ndarray, mask: np.ndarray) -> None:
    """Checks one in-memory example: an (H, W, 3) image and its integer (H, W, 1) trimap.

    Raises:
      ValueError: wrong ranks or channels, sizes that differ, a float mask, values
        outside 1..3, or a float image outside [0, 255].
    """
    if image.ndim != 3 or image.shape[-1] != 3:
        raise InputError(
            f"image must have shape (height, width, 3); got shape {image.shape}. "
            "Decode grayscale/RGBA images to RGB first."
        )
    if mask.ndim != 3 or mask.shape[-1] != 1:
        raise InputError(
            f"segmentation_mask must have shape (height, width, 1); got shape {mask.shape}. "
            "Add a channel axis with mask[..., None] if it is (height, width)."
        )
    if not np.issubdtype(mask.dtype, np.integer):
        raise InputError(float_mask_problem(str(mask.dtype)))
    problem = size_problem(image.shape[:2], mask.shape[:2]) or (
        range_problem(int(mask.min()), int(mask.max())) if mask.size else None
    )
    if problem is None and np.issubdtype(image.dtype, np.floating) and image.size:
        problem = image_range_problem(float(image.min()), float(image.max()))
    if problem:
        raise InputError(problem)
