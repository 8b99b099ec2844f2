"""Checks on data and preprocessing, for any pipeline: label range, paired flips, the same
preprocessing as the reference."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from unetcheck._core import check, element_part, first_index, is_array, percent, to_numpy


def _mask_batches(data: Any, mask_key: str | None, mask_index: int) -> Iterable[np.ndarray]:
    """Mask arrays from an array, or from an iterable of (images, masks, ...) or dict batches."""
    if is_array(data):
        yield to_numpy(data)
        return
    for element in data:
        yield to_numpy(element_part(element, "mask", mask_key, mask_index))


def _infinite(data: Any) -> bool:
    """True for a `tf.data.Dataset` that says it never ends (unknown lengths are iterated)."""
    tf = sys.modules.get("tensorflow")
    return bool(
        tf is not None
        and isinstance(data, tf.data.Dataset)
        and int(data.cardinality()) == int(tf.data.INFINITE_CARDINALITY)
    )


@check
def assert_labels_in_range(
    masks_or_batches: Any,
    num_classes: int,
    max_batches: int | None = None,
    mask_key: str | None = None,
    mask_index: int = 1,
    ignore_index: int | None = None,
) -> None:
    """Checks that every mask pixel is an integer class id in [0, num_classes), or `ignore_index`.

    Examples:
        >>> import numpy as np
        >>> masks = np.array([[[0, 1], [2, 255]]])
        >>> assert_labels_in_range(masks, num_classes=3, ignore_index=255)
        >>> assert_labels_in_range(masks, num_classes=3)
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_labels_in_range] 1 of 4 mask pixels (25%) are outside [0, 3): values ...

    Args:
      masks_or_batches: an integer mask array (any framework), or an iterable of batches:
        `(images, masks, ...)` tuples or lists (a `tf.data.Dataset`, a PyTorch
        `DataLoader`), or dicts holding the masks.
      num_classes: number of classes.
      max_batches: stop after this many batches (needed for a dataset that repeats forever).
      mask_key: the masks' key in dict batches; by default the first of `MASK_KEYS` present.
      mask_index: the masks' position in tuple batches.
      ignore_index: a void label allowed besides the classes (255 in Pascal VOC, Cityscapes
        and SegFormer's configurations), as the metrics' `ignore_index` leaves it out.

    Raises:
      AssertionError: the count and share of bad pixels, the values, the first batch and
        index holding one; or a float mask.
      ValueError: a `tf.data.Dataset` that repeats forever without `max_batches`, or dict
        batches with no mask key.
    """
    if max_batches is None and _infinite(masks_or_batches):
        raise ValueError("the dataset repeats forever: pass max_batches")
    bad_total, seen, first = 0, 0, None
    values: set[int] = set()
    for b, masks in enumerate(_mask_batches(masks_or_batches, mask_key, mask_index)):
        if max_batches is not None and b >= max_batches:
            break
        if not np.issubdtype(masks.dtype, np.integer):
            raise AssertionError(
                f"masks must be integers; batch {b} has dtype {masks.dtype} "
                "(a bilinear resize gives float labels that are no class: use method='nearest')"
            )
        bad = (masks < 0) | (masks >= num_classes)
        if ignore_index is not None:
            bad &= masks != ignore_index
        seen += masks.size
        if bad.any():
            bad_total += int(bad.sum())
            values.update(int(v) for v in np.unique(masks[bad])[:10])
            if first is None:
                first = (b, first_index(bad))
    if bad_total:
        hint = " Oxford trimaps 1..3 must be shifted to 0..2 (normalize)." if max(values) == num_classes else ""
        allowed = f" (nor ignore_index {ignore_index})" if ignore_index is not None else ""
        raise AssertionError(
            f"{bad_total} of {seen} mask pixels ({percent(bad_total, seen)}) are outside [0, {num_classes}){allowed}: "
            f"values {sorted(values)}; first at batch {first[0]}, index {first[1]}.{hint}"
        )


#: How `assert_paired_flip` calls an augmentation: `augment(images, masks)` ("pair", e.g.
#: torchvision v2 given an Image and a Mask), `augment({images_key: .., masks_key: ..})`
#: ("dict", e.g. Keras 3's RandomFlip), `augment(image=.., mask=..)` ("kwargs", albumentations).
CALL_STYLES = {"pair": None, "dict": ("images", "segmentation_masks"), "kwargs": ("image", "mask")}


def _ramp_batch(num_examples: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks whose class rises left to right and top to bottom, and grey images of the same
    pattern (class 0, 1, 2 -> 0.2, 0.5, 0.8): a flip of one and not the other reverses a trend."""
    yy, xx = np.mgrid[0:height, 0:width]
    score = 0.6 * xx / max(width - 1, 1) + 0.4 * yy / max(height - 1, 1)
    labels = np.minimum((3 * score).astype(np.int32), 2)
    masks = np.broadcast_to(labels[None, :, :, None], (num_examples, height, width, 1)).astype(np.int32)
    images = np.repeat((0.2 + 0.3 * masks).astype(np.float32), 3, axis=-1)
    return np.ascontiguousarray(images), np.ascontiguousarray(masks)


def _trends(values: np.ndarray) -> np.ndarray:
    """Per example (N, H, W): the sign of the correlation of the values with x and with y;
    0 where the values are constant (nothing left to compare)."""
    n, h, w = values.shape
    yy, xx = np.mgrid[0:h, 0:w]
    centred = values - values.reshape(n, -1).mean(1)[:, None, None]
    signs = []
    for coordinate in (xx, yy):
        covariance = (centred * (coordinate - coordinate.mean())).reshape(n, -1).sum(1)
        spread = np.abs(centred).reshape(n, -1).sum(1)
        signs.append(np.where(spread > 1e-6 * h * w, np.sign(np.round(covariance, 6)), 0))
    return np.stack(signs, 1)


def _augmented(
    augment: Callable[..., Any],
    images: np.ndarray,
    masks: np.ndarray,
    call: str,
    keys: Sequence[str] | None,
    per_example: bool,
    channels_first: bool,
) -> tuple[np.ndarray, np.ndarray]:
    if call not in CALL_STYLES:
        raise ValueError(f"call must be one of {sorted(CALL_STYLES)}; got {call!r}")
    image_key, mask_key = keys or CALL_STYLES[call] or ("", "")

    def once(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if channels_first:
            image, mask = (np.ascontiguousarray(np.moveaxis(a, -1, a.ndim - 3)) for a in (image, mask))
        if call == "pair":
            out_image, out_mask = augment(image, mask)[:2]
        else:
            out = (
                augment({image_key: image, mask_key: mask})
                if call == "dict"
                else augment(**{image_key: image, mask_key: mask})
            )
            out_image, out_mask = out[image_key], out[mask_key]
        out_mask = to_numpy(out_mask)
        if channels_first and out_mask.ndim == (3 if per_example else 4):
            out_mask = np.moveaxis(out_mask, out_mask.ndim - 3, -1)
        return to_numpy(out_image, channels_first), out_mask

    if per_example:
        pairs = [once(image, mask) for image, mask in zip(images, masks)]
        out_images, out_masks = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    else:
        out_images, out_masks = once(images, masks)
    return out_images, (out_masks[..., None] if out_masks.ndim == 3 else out_masks)


@check
def assert_paired_flip(
    augment: Callable[..., Any],
    num_examples: int = 64,
    height: int = 16,
    width: int = 24,
    call: str = "pair",
    keys: Sequence[str] | None = None,
    per_example: bool = False,
    channels_first: bool = False,
) -> None:
    """Checks that an augmentation moves each image exactly as its mask, and flips at random.

    The images are a grey picture of their mask's pattern, whose class rises left to
    right and top to bottom; after augmenting, each image's pattern must run the same way
    as its mask's. So a colour change (brightness, contrast, hue, gamma: anything
    monotone) or a crop applied to both is not a mismatch; a flip of one and not the
    other is.

    Examples:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> def flip_both(images, masks):  # one draw per example, applied to both
        ...     flip = (rng.uniform(size=len(images)) < 0.5)[:, None, None, None]
        ...     return np.where(flip, images[:, :, ::-1], images), np.where(flip, masks[:, :, ::-1], masks)
        >>> assert_paired_flip(flip_both)
        >>> def flip_apart(images, masks):  # two draws
        ...     return flip_both(images, masks)[0], flip_both(images, masks)[1]
        >>> assert_paired_flip(flip_apart)
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_paired_flip] ... examples (...%) were flipped differently from their ...

    Args:
      augment: the augmentation, called as `call` says (see `CALL_STYLES`).
      num_examples: examples per call (>= 16, to see both outcomes).
      height: their height (room for crops).
      width: their width.
      call: "pair" `augment(images, masks) -> (images, masks)`; "dict" `augment({..})`
        returning a dict (Keras 3's preprocessing layers); "kwargs" `augment(image=..,
        mask=..)` returning a dict (albumentations).
      keys: the dict or keyword names of image and mask, if not `CALL_STYLES`' defaults.
      per_example: call once per example (albumentations), not once per batch.
      channels_first: `augment` takes and returns (N, C, H, W) images and (N, 1, H, W)
        masks ((C, H, W) and (1, H, W) per example), e.g. torchvision.

    Raises:
      AssertionError: the examples moved differently from their masks; images and masks
        of different sizes; or that no example (or every example) was flipped.
      ValueError: a bad argument, or an augmentation that leaves no pattern to compare.
    """
    if num_examples < 16:
        raise ValueError("num_examples must be >= 16 to see both outcomes")
    images, masks = _ramp_batch(num_examples, height, width)
    out_images, out_masks = _augmented(augment, images, masks, call, keys, per_example, channels_first)
    if out_images.shape[:3] != out_masks.shape[:3]:
        raise AssertionError(
            f"images came back {out_images.shape[1:3]} but masks {out_masks.shape[1:3]}: "
            "they were resized or cropped differently"
        )
    image_trend = _trends(out_images.astype(np.float64).mean(-1))
    mask_trend = _trends(out_masks.astype(np.float64)[..., 0])
    comparable = (image_trend != 0).all(1) & (mask_trend != 0).all(1)
    if not comparable.any():
        raise ValueError(
            "the augmentation left no example with a pattern to compare (crops smaller than a "
            f"class band?); raise height and width (now {height}x{width})"
        )
    mismatch = comparable & (image_trend != mask_trend).any(1)
    if mismatch.any():
        which = np.flatnonzero(mismatch)
        axes = ", ".join(
            name
            for name, axis in (("left-right", 0), ("up-down", 1))
            if (image_trend[mismatch, axis] != mask_trend[mismatch, axis]).any()
        )
        raise AssertionError(
            f"{len(which)} of {num_examples} examples ({percent(len(which), num_examples)}) were flipped "
            f"differently from their masks ({axes}): examples {which[:10].tolist()}. "
            "Draw one random decision per example and apply it to both image and mask."
        )
    flipped = mask_trend[comparable, 0] < 0
    if flipped.all() or not flipped.any():
        state = "flipped" if flipped.all() else "left unflipped"
        raise AssertionError(f"all {int(comparable.sum())} examples were {state}: the flip is not random")


def _on_edges(differ: np.ndarray, mask: np.ndarray, radius: int = 1) -> bool:
    """True when every differing pixel of a 2-D mask lies within `radius` pixels (chessboard)
    of a change of label: a resize that moves edges by up to one source pixel, which spans
    `radius` output pixels when upscaling."""
    edge = np.zeros_like(differ)
    vertical = mask[1:] != mask[:-1]
    horizontal = mask[:, 1:] != mask[:, :-1]
    edge[1:] |= vertical
    edge[:-1] |= vertical
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    for _ in range(radius - 1):
        grown = edge.copy()
        grown[1:] |= edge[:-1]
        grown[:-1] |= edge[1:]
        grown[:, 1:] |= grown[:, :-1].copy()
        grown[:, :-1] |= grown[:, 1:].copy()
        edge = grown
    return bool(differ.any() and not (differ & ~edge).any())


def _default_examples() -> list[dict[str, np.ndarray]]:
    from unetcheck.pets.synthetic import synthetic_example

    # Odd sizes, a square, an Oxford-sized photo, up- and down-scaling.
    sizes = [(37, 53), (128, 128), (375, 500), (90, 64), (200, 150)]
    return [synthetic_example((7919, i), h, w) for i, (h, w) in enumerate(sizes)]


def _channels_last_mask(mask: np.ndarray, channels_first: bool) -> np.ndarray:
    if mask.ndim == 2:
        return mask[..., None]
    return np.moveaxis(mask, 0, -1) if channels_first else mask


#: Reference preprocessings by name: "oxford" is the tutorial's `load_image` on Oxford trimaps.
REFERENCES = ("oxford",)


def _mask_hint(mask: np.ndarray, reference: np.ndarray, scale: int) -> str:
    """Why a mask differs from the reference's, where the evidence says: labels one too high,
    or differences on the labels' edges alone (another resize); else nothing."""
    if np.array_equal(mask.astype(np.int64), reference.astype(np.int64) + 1):
        return ": every label is one too high, trimap labels 1..3 were not shifted to 0..2 (normalize)"
    if _on_edges(mask[..., 0] != reference[..., 0], reference[..., 0], scale):
        return (
            ": only along label edges, so the mask was resized with another method than "
            "nearest-neighbour with half-pixel centres (bilinear, then cast? PyTorch's 'nearest' "
            "instead of 'nearest-exact'?)"
        )
    return ""


@check
def assert_same_preprocessing(
    fn: Callable[[Mapping[str, Any]], tuple[Any, Any]],
    reference: str | Callable[..., tuple[Any, Any]] = "oxford",
    atol: float = 1e-5,
    examples: Sequence[Mapping[str, Any]] | None = None,
    max_mask_mismatch: float = 0.0,
    channels_first: bool = False,
) -> None:
    """Checks that `fn(datapoint)` gives the reference's (image, mask) on the same examples.

    Examples:
        >>> from unetcheck.pets.preprocess import oxford_preprocess  # the tutorial's load_image, in NumPy
        >>> assert_same_preprocessing(lambda datapoint: oxford_preprocess(datapoint, (32, 32)))
        >>> def unshifted(datapoint):
        ...     image, mask = oxford_preprocess(datapoint, (32, 32))
        ...     return image, mask + 1
        >>> assert_same_preprocessing(unshifted)
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_same_preprocessing] example 0 (37x53 -> 32x32): ... every label is one ...

    Args:
      fn: the pipeline under test, a TFDS-style dict -> (image, mask), any framework's
        arrays, any output size (the reference is run at the size `fn` produced).
      reference: "oxford" (Oxford trimaps 1..3 -> classes 0..2, image bilinear / 255, mask
        nearest: `unetcheck.oxford_preprocess`, equal to `unetcheck.load_image`), or a
        callable `(datapoint, (height, width)) -> (image, mask)`.
      atol: largest absolute difference allowed between images (values in [0, 1]).
      examples: TFDS-style dicts; defaults to five synthetic pets of assorted sizes.
      max_mask_mismatch: largest share of mask pixels allowed to differ.
      channels_first: `fn` returns a (3, H, W) image and a (1, H, W) or (H, W) mask.

    Raises:
      AssertionError: the first example that differs, by how much, and the likely cause
        (a float mask from a bilinear resize, labels left at 1..3).
    """
    if isinstance(reference, str):
        if reference not in REFERENCES:
            raise ValueError(f"reference must be one of {REFERENCES} or a callable; got {reference!r}")
        from unetcheck.pets.preprocess import oxford_preprocess as reference
    for index, example in enumerate(examples if examples is not None else _default_examples()):
        image, mask = fn(example)
        image = to_numpy(image, channels_first)
        mask = _channels_last_mask(to_numpy(mask), channels_first)
        size = tuple(int(s) for s in image.shape[:2])
        ref_image, ref_mask = (to_numpy(t) for t in reference(example, size))
        source = np.shape(example["image"])
        where = f"example {index} ({source[0]}x{source[1]} -> {size[0]}x{size[1]})"
        if image.shape != ref_image.shape or mask.shape != ref_mask.shape:
            raise AssertionError(
                f"{where}: shapes image {image.shape}, mask {mask.shape}; expected "
                f"{ref_image.shape} and {ref_mask.shape}"
            )
        if not np.issubdtype(mask.dtype, np.integer):
            fractional = float(np.mean(mask != np.round(mask)))
            raise AssertionError(
                f"{where}: the mask has dtype {mask.dtype} and {100 * fractional:.3g}% of its pixels are not "
                "whole class ids: a mask resized bilinearly invents labels; resize masks with method='nearest'"
            )
        gap = float(np.max(np.abs(image.astype(np.float64) - ref_image)))
        if gap > atol:
            raise AssertionError(
                f"{where}: images differ by up to {gap:.3g} (allowed {atol:.3g}); "
                f"value ranges [{image.min():.3g}, {image.max():.3g}] vs "
                f"[{ref_image.min():.3g}, {ref_image.max():.3g}]"
            )
        differ = mask != ref_mask
        if differ.mean() > max_mask_mismatch:
            scale = int(np.ceil(max(size[0] / source[0], size[1] / source[1], 1.0)))
            raise AssertionError(
                f"{where}: {int(differ.sum())} of {differ.size} mask pixels ({percent(differ.sum(), differ.size)}) "
                f"differ from the reference, first at {first_index(differ)}{_mask_hint(mask, ref_mask, scale)}"
            )
