"""Per-example preprocessing: the tutorial's `normalize` and `load_image`, done right.

The tutorial resizes the trimap bilinearly, which invents labels that are no class
(0.002, 0.114, ...) along every edge; here masks are resized with nearest-neighbour.
What a valid example is, and how a problem is worded, comes from `unetcheck.pets.trimaps`.
All checks raise `ValueError` eagerly; inside a `tf.data` graph the value checks become
`tf.debugging` assertions carrying the same rule (`InvalidArgumentError`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from unetcheck.errors import InputError
from unetcheck.pets import trimaps

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf


def _check(condition: Any, eager_problem: Callable[[], str | None], graph_message: str) -> list:
    """Raises `ValueError(eager_problem())` eagerly, or returns a graph assertion to depend on."""
    import tensorflow as tf

    if tf.executing_eagerly():
        problem = eager_problem()
        if problem:
            raise InputError(problem)
        return []
    return [tf.debugging.Assert(condition, [graph_message])]


def _check_shape(tensor: tf.Tensor, what: str, channels: int, hint: str) -> None:
    """Raises ValueError unless `tensor` is (height, width, channels)."""
    shape = tensor.shape
    if shape.rank != 3 or shape[-1] != channels:
        raise InputError(f"{what} must have shape (height, width, {channels}); got shape {tuple(shape)}. {hint}")


def normalize(image: tf.Tensor, mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Scales an image to float32 [0, 1] and shifts trimap labels {1, 2, 3} to {0, 1, 2}.

    Args:
      image: (..., H, W, 3) uint8, or float with values in [0, 255].
      mask: (..., H, W, 1) integer trimap with values in {1, 2, 3}.

    Returns:
      `(image, mask)`: float32 image in [0, 1]; mask of the input's integer dtype.

    Raises:
      ValueError: a float image outside [0, 255], a non-integer mask or labels outside 1..3.
    """
    import tensorflow as tf

    image = tf.convert_to_tensor(image)
    mask = tf.convert_to_tensor(mask)
    if not mask.dtype.is_integer:
        raise InputError(trimaps.float_mask_problem(mask.dtype.name))
    deps = []
    if image.dtype.is_floating:
        lo, hi = tf.reduce_min(image), tf.reduce_max(image)
        deps += _check(
            tf.logical_and(lo >= 0.0, hi <= 255.0),
            lambda: trimaps.image_range_problem(float(lo), float(hi)),
            "float image values must lie in [0, 255] (raw pixel values)",
        )
    elif not image.dtype.is_integer:
        raise InputError(f"image must be integer or float; got {image.dtype.name}")
    mlo, mhi = tf.reduce_min(mask), tf.reduce_max(mask)
    low, high = trimaps.TRIMAP_LABELS[0], trimaps.TRIMAP_LABELS[-1]
    deps += _check(
        tf.logical_and(mlo >= low, mhi <= high),
        lambda: trimaps.range_problem(int(mlo), int(mhi)),
        f"mask values must be {trimaps.TRIMAP_RULE}",
    )
    with tf.control_dependencies(deps):
        image = tf.cast(image, tf.float32) / 255.0
        mask = trimaps.to_classes(mask)
    return image, mask


def load_image(datapoint: Mapping[str, Any], size: int | tuple[int, int] = 128) -> tuple[tf.Tensor, tf.Tensor]:
    """Turns one TFDS-style example into a `size` (image, mask) pair.

    Image bilinear, mask nearest-neighbour (so every mask pixel stays a class), then
    `normalize`. Works eagerly and inside `tf.data.Dataset.map`.

    Args:
      datapoint: mapping with `image` (H, W, 3) and `segmentation_mask` (H, W, 1), any H, W.
      size: output side, or (height, width), in pixels.

    Returns:
      float32 image (h, w, 3) in [0, 1]; integer mask (h, w, 1) in {0, 1, 2}.

    Raises:
      ValueError: missing keys, wrong rank or channels, image and mask of different
        sizes, or the value problems `normalize` names.
    """
    import tensorflow as tf

    from unetcheck.pets.preprocess import output_size

    out_size = output_size(size)
    missing = [k for k in ("image", "segmentation_mask") if k not in datapoint]
    if missing:
        raise InputError(
            f"datapoint lacks {missing}; expected keys 'image' and 'segmentation_mask' (got {sorted(datapoint)})"
        )
    image = tf.convert_to_tensor(datapoint["image"])
    mask = tf.convert_to_tensor(datapoint["segmentation_mask"])
    _check_shape(image, "image", 3, "Decode grayscale/RGBA images to RGB first.")
    _check_shape(mask, "segmentation_mask", 1, "Add a channel axis with mask[..., None] if it is (height, width).")
    ish, msh = image.shape[:2], mask.shape[:2]
    if ish.is_fully_defined() and msh.is_fully_defined():
        problem = trimaps.size_problem(ish, msh)
        if problem:
            raise InputError(problem)
        deps = []
    else:
        same = tf.reduce_all(tf.equal(tf.shape(image)[:2], tf.shape(mask)[:2]))
        deps = [tf.debugging.Assert(same, ["image and segmentation_mask must have the same height and width"])]
    with tf.control_dependencies(deps):
        image = tf.image.resize(image, out_size)  # bilinear, float32, values kept in [0, 255]
        mask = tf.image.resize(mask, out_size, method="nearest")  # keeps dtype and labels
    return normalize(image, mask)
