"""Per-example preprocessing: the tutorial's `normalize` and `load_image`, done right.

The tutorial resizes the trimap bilinearly, which invents labels that are no class
(0.002, 0.114, ...) along every edge; here masks are resized with nearest-neighbour.
All checks raise `ValueError` eagerly; inside a `tf.data` graph the value checks become
`tf.debugging` assertions carrying the same message (`InvalidArgumentError`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

#: Oxford-IIIT Pet trimap labels: 1 = pet, 2 = background, 3 = border.
TRIMAP_LABELS = (1, 2, 3)
#: Class ids after `normalize`: 0 = pet, 1 = background, 2 = border.
CLASS_NAMES = ("pet", "background", "border")
NUM_CLASSES = len(CLASS_NAMES)


def _check(condition: Any, message: str) -> list:
    """Raises `ValueError(message)` eagerly, or returns a graph assertion to depend on."""
    import tensorflow as tf

    if tf.executing_eagerly():
        if not bool(condition):
            raise ValueError(message)
        return []
    return [tf.debugging.Assert(condition, [message])]


def _check_shape(tensor: "tf.Tensor", what: str, channels: int, hint: str) -> None:
    """Raises ValueError unless `tensor` is (height, width, channels)."""
    shape = tensor.shape
    if shape.rank != 3 or shape[-1] != channels:
        raise ValueError(
            f"{what} must have shape (height, width, {channels}); got shape {tuple(shape)}. {hint}"
        )


def normalize(image: "tf.Tensor", mask: "tf.Tensor") -> tuple["tf.Tensor", "tf.Tensor"]:
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
        raise ValueError(
            f"mask must have an integer dtype (trimap labels 1..3); got {mask.dtype.name}. "
            "A float mask usually means it was resized bilinearly: use method='nearest'."
        )
    deps = []
    if image.dtype.is_floating:
        lo, hi = tf.reduce_min(image), tf.reduce_max(image)
        deps += _check(
            tf.logical_and(lo >= 0.0, hi <= 255.0),
            "float image values must lie in [0, 255] (raw pixel values); "
            + (f"got min {float(lo):g}, max {float(hi):g}" if tf.executing_eagerly() else "they do not"),
        )
    elif not image.dtype.is_integer:
        raise ValueError(f"image must be integer or float; got {image.dtype.name}")
    mlo, mhi = tf.reduce_min(mask), tf.reduce_max(mask)
    deps += _check(
        tf.logical_and(mlo >= 1, mhi <= 3),
        "mask values must be trimap labels in 1..3 (1 pet, 2 background, 3 border); "
        + (f"got min {int(mlo)}, max {int(mhi)}" if tf.executing_eagerly() else "some are not"),
    )
    with tf.control_dependencies(deps):
        image = tf.cast(image, tf.float32) / 255.0
        mask = mask - tf.ones([], mask.dtype)
    return image, mask


def load_image(datapoint: Mapping[str, Any], size: int = 128) -> tuple["tf.Tensor", "tf.Tensor"]:
    """Turns one TFDS-style example into a `size` x `size` (image, mask) pair.

    Image bilinear, mask nearest-neighbour (so every mask pixel stays a class), then
    `normalize`. Works eagerly and inside `tf.data.Dataset.map`.

    Args:
      datapoint: mapping with `image` (H, W, 3) and `segmentation_mask` (H, W, 1), any H, W.
      size: output height and width in pixels.

    Returns:
      float32 image (size, size, 3) in [0, 1]; integer mask (size, size, 1) in {0, 1, 2}.

    Raises:
      ValueError: missing keys, wrong rank or channels, image and mask of different
        sizes, or the value problems `normalize` names.
    """
    import tensorflow as tf

    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"size must be a positive int; got {size!r}")
    missing = [k for k in ("image", "segmentation_mask") if k not in datapoint]
    if missing:
        raise ValueError(
            f"datapoint lacks {missing}; expected keys 'image' and 'segmentation_mask' "
            f"(got {sorted(datapoint)})"
        )
    image = tf.convert_to_tensor(datapoint["image"])
    mask = tf.convert_to_tensor(datapoint["segmentation_mask"])
    _check_shape(image, "image", 3, "Decode grayscale/RGBA images to RGB first.")
    _check_shape(mask, "segmentation_mask", 1, "Add a channel axis with mask[..., None] if it is (height, width).")
    ish, msh = image.shape[:2], mask.shape[:2]
    if ish.is_fully_defined() and msh.is_fully_defined():
        if ish != msh:
            raise ValueError(
                f"image is {ish[0]}x{ish[1]} but its segmentation_mask is {msh[0]}x{msh[1]}: "
                "they must have the same height and width"
            )
        deps = []
    else:
        deps = _check(
            tf.reduce_all(tf.equal(tf.shape(image)[:2], tf.shape(mask)[:2])),
            "image and segmentation_mask must have the same height and width",
        )
    with tf.control_dependencies(deps):
        image = tf.image.resize(image, (size, size))  # bilinear, float32, values kept in [0, 255]
        mask = tf.image.resize(mask, (size, size), method="nearest")  # keeps dtype and labels
    return normalize(image, mask)
