"""Checks on data and preprocessing: label range, paired flips, same preprocessing."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from unetcheck._checks.base import as_numpy, check, first_index, percent


def _mask_batches(masks_or_dataset: Any) -> Iterable[np.ndarray]:
    """Mask arrays from an array, or from an iterable of (image, mask, ...) or dict batches."""
    if hasattr(masks_or_dataset, "shape"):
        yield as_numpy(masks_or_dataset)
        return
    for element in masks_or_dataset:
        if isinstance(element, Mapping):
            yield as_numpy(element["segmentation_mask"])
        elif isinstance(element, (tuple, list)):
            yield as_numpy(element[1])
        else:
            yield as_numpy(element)


@check
def assert_labels_in_range(masks_or_dataset: Any, num_classes: int, max_batches: int | None = None) -> None:
    """Checks that every mask pixel is an integer class id in [0, num_classes).

    Args:
      masks_or_dataset: an integer mask array, or an iterable of `(images, masks, ...)`
        batches (a `tf.data.Dataset`, e.g.).
      num_classes: number of classes.
      max_batches: stop after this many batches (required for an infinite dataset).

    Raises:
      AssertionError: the count and share of bad pixels, the values, the first batch
        and index holding one.
      ValueError: an infinite dataset without `max_batches`.
    """
    if max_batches is None and hasattr(masks_or_dataset, "cardinality"):
        if int(masks_or_dataset.cardinality()) < 0:
            raise ValueError("the dataset is infinite or of unknown length: pass max_batches")
    bad_total, seen, first = 0, 0, None
    values: set[int] = set()
    for b, masks in enumerate(_mask_batches(masks_or_dataset)):
        if max_batches is not None and b >= max_batches:
            break
        if not np.issubdtype(masks.dtype, np.integer):
            raise AssertionError(
                f"masks must be integers; batch {b} has dtype {masks.dtype} "
                "(a bilinear resize gives float labels that are no class: use method='nearest')"
            )
        bad = (masks < 0) | (masks >= num_classes)
        seen += masks.size
        if bad.any():
            bad_total += int(bad.sum())
            values.update(int(v) for v in np.unique(masks[bad])[:10])
            if first is None:
                first = (b, first_index(bad))
    if bad_total:
        hint = " Oxford trimaps 1..3 must be shifted to 0..2 (normalize)." if max(values) == num_classes else ""
        raise AssertionError(
            f"{bad_total} of {seen} mask pixels ({percent(bad_total, seen)}) are outside [0, {num_classes}): "
            f"values {sorted(values)}; first at batch {first[0]}, index {first[1]}.{hint}"
        )


def _paired_batch(num_examples: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks, and images carrying each mask in channel 0 and the column index in channel 1."""
    rng = np.random.default_rng(0)
    masks = rng.integers(0, 3, size=(num_examples, height, width, 1)).astype(np.int32)
    cols = np.broadcast_to(np.arange(width, dtype=np.float32), (num_examples, height, width))
    images = np.stack([masks[..., 0].astype(np.float32), cols, np.zeros_like(cols)], -1)
    return images, masks


@check
def assert_paired_flip(augment: Callable[[Any, Any], tuple[Any, Any]], num_examples: int = 64,
                       height: int = 4, width: int = 6) -> None:
    """Checks that `augment(images, masks)` moves each image exactly as its mask.

    Images carry their mask in channel 0; after augmenting, channel 0 must still equal
    the mask pixel for pixel, and both flipped and unflipped examples must occur.

    Raises:
      AssertionError: the count of examples moved differently from their masks, and
        which; or that no example (or every example) was flipped.
    """
    if num_examples < 16:
        raise ValueError("num_examples must be >= 16 to see both outcomes")
    images, masks = _paired_batch(num_examples, height, width)
    out_images, out_masks = (as_numpy(t) for t in augment(images, masks))
    if out_masks.shape != masks.shape:
        raise AssertionError(f"masks came back with shape {out_masks.shape}, expected {masks.shape}")
    mismatch = (out_images[..., 0] != out_masks[..., 0]).reshape(num_examples, -1).any(1)
    if mismatch.any():
        raise AssertionError(
            f"{int(mismatch.sum())} of {num_examples} examples ({percent(mismatch.sum(), num_examples)}) "
            f"were flipped differently from their masks: examples {np.flatnonzero(mismatch)[:10].tolist()}. "
            "Draw one random decision per example and apply it to both image and mask."
        )
    flipped = out_images[:, 0, 0, 1] == width - 1
    if flipped.all() or not flipped.any():
        state = "flipped" if flipped.all() else "left unflipped"
        raise AssertionError(f"all {num_examples} examples were {state}: the augmentation is not random")


def _on_edges(differ: np.ndarray, mask: np.ndarray) -> bool:
    """True when every differing pixel of a 2-D mask sits next to a change of label."""
    edge = np.zeros_like(differ)
    vertical = mask[1:] != mask[:-1]
    horizontal = mask[:, 1:] != mask[:, :-1]
    edge[1:] |= vertical
    edge[:-1] |= vertical
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    return bool(differ.any() and not (differ & ~edge).any())


def _default_examples() -> list[dict[str, np.ndarray]]:
    from unetcheck.sources import synthetic_example

    # Odd sizes, a square, an Oxford-sized photo, up- and down-scaling.
    sizes = [(37, 53), (128, 128), (375, 500), (90, 64), (200, 150)]
    return [synthetic_example((7919, i), h, w) for i, (h, w) in enumerate(sizes)]


@check
def assert_same_preprocessing(fn: Callable[[Mapping[str, Any]], tuple[Any, Any]],
                              reference: Callable[..., tuple[Any, Any]] | None = None,
                              atol: float = 1e-5, examples: Sequence[Mapping[str, Any]] | None = None,
                              max_mask_mismatch: float = 0.0) -> None:
    """Checks that `fn(datapoint)` gives the reference's (image, mask) on the same examples.

    Args:
      fn: the pipeline under test, a TFDS-style dict -> (image, mask).
      reference: defaults to `unetcheck.load_image`, called with the size `fn` produced.
      atol: largest absolute difference allowed between images (values in [0, 1]).
      examples: TFDS-style dicts; defaults to five synthetic pets of assorted sizes.
      max_mask_mismatch: largest share of mask pixels allowed to differ.

    Raises:
      AssertionError: the first example that differs, by how much, and the likely cause
        (a float mask from a bilinear resize, labels left at 1..3).
    """
    if reference is None:
        from unetcheck.preprocess import load_image as reference
    for index, example in enumerate(examples if examples is not None else _default_examples()):
        image, mask = (as_numpy(t) for t in fn(example))
        size = image.shape[0]
        ref_image, ref_mask = (as_numpy(t) for t in reference(example, size=size))
        where = f"example {index} ({example['image'].shape[0]}x{example['image'].shape[1]} -> {size}x{size})"
        if image.shape != ref_image.shape or mask.shape != ref_mask.shape:
            raise AssertionError(f"{where}: shapes image {image.shape}, mask {mask.shape}; expected "
                                 f"{ref_image.shape} and {ref_mask.shape}")
        if not np.issubdtype(mask.dtype, np.integer):
            fractional = float(np.mean(mask != np.round(mask)))
            raise AssertionError(
                f"{where}: the mask has dtype {mask.dtype} and {100 * fractional:.3g}% of its pixels are not "
                "whole class ids: a mask resized bilinearly invents labels; resize masks with method='nearest'"
            )
        gap = float(np.max(np.abs(image.astype(np.float64) - ref_image)))
        if gap > atol:
            raise AssertionError(f"{where}: images differ by up to {gap:.3g} (allowed {atol:.3g}); "
                                 f"value ranges [{image.min():.3g}, {image.max():.3g}] vs "
                                 f"[{ref_image.min():.3g}, {ref_image.max():.3g}]")
        differ = mask != ref_mask
        if differ.mean() > max_mask_mismatch:
            hint = ""
            if np.array_equal(mask.astype(np.int64), ref_mask.astype(np.int64) + 1):
                hint = ": every label is one too high, trimap labels 1..3 were not shifted to 0..2 (normalize)"
            elif _on_edges(differ[..., 0], ref_mask[..., 0]):
                hint = (": only along label edges, so the mask was resized with another method than "
                        "nearest-neighbour (bilinear, then cast?)")
            raise AssertionError(
                f"{where}: {int(differ.sum())} of {differ.size} mask pixels ({percent(differ.sum(), differ.size)}) "
                f"differ from the reference, first at {first_index(differ)}{hint}"
            )
