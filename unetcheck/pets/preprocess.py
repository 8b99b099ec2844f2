"""The tutorial's preprocessing (`load_image`), done right, in NumPy: for the checks and for
runners without TensorFlow.

`resize_bilinear` and `resize_nearest` compute what `tf.image.resize` computes (half-pixel
centres, no antialiasing; nearest-neighbour for masks, so every pixel stays a class), so
`oxford_preprocess` gives `unetcheck.load_image`'s arrays (tests/pets/test_preprocess.py holds the two
equal). Written here because the checks must install without TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from unetcheck.errors import InputError
from unetcheck.pets import trimaps
from unetcheck.pets.trimaps import check_example


def output_size(size: int | tuple[int, int]) -> tuple[int, int]:
    """`(height, width)` from a side or a pair.

    Raises:
      ValueError: anything but a positive int or a pair of them.
    """
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size), int(size))
    if (
        not isinstance(size, tuple)
        or len(size) != 2
        or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in size)
    ):
        raise InputError(f"size must be a positive int or a (height, width) pair of them; got {size!r}")
    return int(size[0]), int(size[1])


def _source_coordinates(out_size: int, in_size: int) -> np.ndarray:
    """Half-pixel-centre source coordinate of each output pixel, in float32 as TensorFlow computes it."""
    scale = np.float32(in_size) / np.float32(out_size)
    return (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)


def resize_bilinear(image: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """`tf.image.resize(image, size)` (bilinear) of an (H, W, ...) array, as float32: the first
    two axes resized, any others carried along."""
    out_h, out_w = output_size(size)
    image = np.asarray(image, dtype=np.float32)
    rows = []
    for out_size, in_size in ((out_h, image.shape[0]), (out_w, image.shape[1])):
        coordinate = _source_coordinates(out_size, in_size)
        low = np.floor(coordinate)
        frac = (coordinate - low).astype(np.float32)
        low = low.astype(np.int64)
        rows.append((np.clip(low, 0, in_size - 1), np.clip(low + 1, 0, in_size - 1), frac))
    (top, bottom, y_frac), (left, right, x_frac) = rows
    rest = (1,) * (image.ndim - 2)
    x_frac = x_frac.reshape((1, -1) + rest)
    upper = image[top][:, left] + (image[top][:, right] - image[top][:, left]) * x_frac
    lower = image[bottom][:, left] + (image[bottom][:, right] - image[bottom][:, left]) * x_frac
    return (upper + (lower - upper) * y_frac.reshape((-1, 1) + rest)).astype(np.float32)


def resize_nearest(mask: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """`tf.image.resize(mask, size, method="nearest")` of an (H, W, ...) array: dtype and values kept."""
    out_h, out_w = output_size(size)
    mask = np.asarray(mask)
    index = []
    for out_size, in_size in ((out_h, mask.shape[0]), (out_w, mask.shape[1])):
        scale = np.float32(in_size) / np.float32(out_size)
        source = np.floor((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale).astype(np.int64)
        index.append(np.minimum(source, in_size - 1))
    return mask[index[0]][:, index[1]]


def oxford_preprocess(datapoint: Mapping[str, Any], size: int | tuple[int, int] = 128) -> tuple[np.ndarray, np.ndarray]:
    """One TFDS-style example (`image`, `segmentation_mask` as Oxford trimap) at `size`.

    Image bilinear, then / 255; trimap nearest-neighbour, then 1..3 -> 0..2.

    Returns:
      float32 image (h, w, 3) in [0, 1]; uint8 mask (h, w, 1) in {0, 1, 2}.

    Raises:
      ValueError: missing keys, or a trimap `unetcheck.pets.trimaps.check_example` refuses.
    """
    missing = [k for k in ("image", "segmentation_mask") if k not in datapoint]
    if missing:
        raise InputError(
            f"datapoint lacks {missing}; expected keys 'image' and 'segmentation_mask' (got {sorted(datapoint)})"
        )
    image, mask = np.asarray(datapoint["image"]), np.asarray(datapoint["segmentation_mask"])
    check_example(image, mask)
    out_size = output_size(size)
    resized = resize_bilinear(image, out_size) / np.float32(255.0)
    return resized.astype(np.float32), trimaps.to_classes(resize_nearest(mask, out_size)).astype(np.uint8)
