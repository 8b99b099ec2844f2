"""Assertions about a segmentation pipeline and model, in the manner of chex.

Each `assert_*` raises `AssertionError` saying what is wrong, where and by how much;
a caller's mistake (wrong argument) raises `ValueError`. The main job and the suite
both use them.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np


def _as_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()  # backend tensors and Keras variables
    return np.asarray(x)


def snapshot_weights(weights: Sequence[Any]) -> dict[str, np.ndarray]:
    """Copies Keras variables into `{path: array}`, for the weight checks below."""
    return {w.path: np.array(_as_numpy(w)) for w in weights}


def _batches(masks_or_dataset: Any) -> Iterable[np.ndarray]:
    """Mask arrays from an array, or from a dataset of (image, mask, ...) batches."""
    if hasattr(masks_or_dataset, "shape"):
        yield _as_numpy(masks_or_dataset)
        return
    for element in masks_or_dataset:
        if isinstance(element, Mapping):
            yield _as_numpy(element["segmentation_mask"])
        elif isinstance(element, (tuple, list)):
            yield _as_numpy(element[1])
        else:
            yield _as_numpy(element)


def assert_labels_in_range(masks_or_dataset: Any, num_classes: int, max_batches: int | None = None) -> None:
    """Checks that every mask pixel is a class id in [0, num_classes).

    Args:
      masks_or_dataset: an integer mask array, or an iterable of `(images, masks, ...)`
        batches (a `tf.data.Dataset`, e.g.).
      num_classes: number of classes.
      max_batches: stop after this many batches (needed for an infinite dataset).

    Raises:
      AssertionError: naming the first offending batch and example, the count of bad
        pixels and the values found.
    """
    __tracebackhide__ = True
    if max_batches is None and hasattr(masks_or_dataset, "cardinality"):
        if int(masks_or_dataset.cardinality()) < 0:
            raise ValueError("the dataset is infinite or of unknown length: pass max_batches")
    bad_total, seen, first = 0, 0, None
    values: set[int] = set()
    for b, masks in enumerate(_batches(masks_or_dataset)):
        if max_batches is not None and b >= max_batches:
            break
        if not np.issubdtype(masks.dtype, np.integer):
            raise AssertionError(
                f"masks must be integers; batch {b} has dtype {masks.dtype} "
                "(a bilinear resize gives float labels that are no class)"
            )
        bad = (masks < 0) | (masks >= num_classes)
        seen += masks.size
        if bad.any():
            bad_total += int(bad.sum())
            values.update(int(v) for v in np.unique(masks[bad])[:10])
            if first is None:
                idx = np.argwhere(bad)[0]
                first = (b, tuple(int(i) for i in idx))
    if bad_total:
        raise AssertionError(
            f"{bad_total} of {seen} mask pixels ({100 * bad_total / seen:.3g}%) are outside "
            f"[0, {num_classes}): values {sorted(values)}; first at batch {first[0]}, index "
            f"{first[1]}. Trimaps 1..3 must be shifted to 0..2 (normalize)."
        )


def assert_paired_flip(augment: Any, num_examples: int = 64, height: int = 4, width: int = 6) -> None:
    """Checks that `augment(images, masks)` flips each image exactly as its mask.

    Images carry their mask in channel 0 and their column index in channel 1; after
    augmenting, channel 0 must still equal the mask pixel for pixel, and both flipped
    and unflipped examples must occur.

    Raises:
      AssertionError: naming the examples whose image and mask were moved differently.
    """
    __tracebackhide__ = True
    if num_examples < 16:
        raise ValueError("num_examples must be >= 16 to see both outcomes")
    rng = np.random.default_rng(0)
    masks = rng.integers(0, 3, size=(num_examples, height, width, 1)).astype(np.int32)
    cols = np.broadcast_to(np.arange(width, dtype=np.float32), (num_examples, height, width))
    images = np.stack([masks[..., 0].astype(np.float32), cols, np.zeros_like(cols)], -1)
    out_images, out_masks = (_as_numpy(t) for t in augment(images, masks))
    mismatch = (out_images[..., 0] != out_masks[..., 0]).reshape(num_examples, -1).any(1)
    if mismatch.any():
        where = np.flatnonzero(mismatch)
        raise AssertionError(
            f"{mismatch.sum()} of {num_examples} examples ({100 * mismatch.mean():.3g}%) were "
            f"flipped differently from their masks: examples {where[:10].tolist()}. "
            "Draw one decision per example and apply it to both."
        )
    flipped = out_images[:, 0, 0, 1] == width - 1
    if flipped.all() or not flipped.any():
        raise AssertionError(
            f"all {num_examples} examples were {'flipped' if flipped.all() else 'left unflipped'}: "
            "the augmentation is not random"
        )


def assert_finite(x: Any, name: str = "array") -> None:
    """Checks that every element of `x` is finite (no NaN, no inf).

    Raises:
      AssertionError: with the count of NaN and inf values and the first index.
    """
    __tracebackhide__ = True
    arr = _as_numpy(x)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise AssertionError(
            f"{name}: {int(np.isnan(arr).sum())} NaN and {int(np.isinf(arr).sum())} inf of "
            f"{arr.size} values; first at index {tuple(int(i) for i in np.argwhere(bad)[0])}"
        )


def assert_weights_unchanged(before: Mapping[str, Any], after: Mapping[str, Any], what: str = "weights") -> None:
    """Checks that each named weight in `after` equals its value in `before` exactly.

    Raises:
      AssertionError: listing the weights that moved and the largest absolute change.
    """
    __tracebackhide__ = True
    moved = {
        name: float(np.max(np.abs(_as_numpy(after[name]) - _as_numpy(value))))
        for name, value in before.items()
        if not np.array_equal(_as_numpy(after[name]), _as_numpy(value))
    }
    if moved:
        worst = max(moved, key=moved.get)
        raise AssertionError(
            f"{len(moved)} of {len(before)} {what} changed (frozen part trained?): "
            f"{sorted(moved)[:5]}; largest change {moved[worst]:.3g} in {worst}"
        )


def assert_weights_all_changed(before: Mapping[str, Any], after: Mapping[str, Any], what: str = "weights") -> None:
    """Checks that every named weight in `after` differs from its value in `before`.

    Raises:
      AssertionError: listing the weights that did not move (no gradient reaches them).
    """
    __tracebackhide__ = True
    still = [name for name, value in before.items() if np.array_equal(_as_numpy(after[name]), _as_numpy(value))]
    if still:
        raise AssertionError(
            f"{len(still)} of {len(before)} {what} did not change in training: {still[:5]}"
        )


def assert_loss_decreased(losses: Sequence[float], min_relative_drop: float) -> None:
    """Checks that the last loss is at least `min_relative_drop` below the first.

    Raises:
      AssertionError: with the first and last loss and the drop obtained.
    """
    __tracebackhide__ = True
    if len(losses) < 2:
        raise ValueError("need at least two losses")
    assert_finite(np.asarray(losses), "losses")
    first, last = float(losses[0]), float(losses[-1])
    drop = (first - last) / abs(first) if first else 0.0
    if drop < min_relative_drop:
        raise AssertionError(
            f"loss fell from {first:.4g} to {last:.4g}, a relative drop of {drop:.3g}; "
            f"expected at least {min_relative_drop:.3g}"
        )


def assert_same_predictions(model_a: Any, model_b: Any, images: Any, max_pixel_share: float = 0.0,
                            atol: float = 0.0) -> None:
    """Checks that two models give the same masks (and logits within `atol`) on `images`.

    E.g. a model before and after a `.keras` save and reload, or on CPU and GPU.

    Args:
      max_pixel_share: largest share of pixels whose argmax class may differ.
      atol: largest absolute difference allowed between the logits.

    Raises:
      AssertionError: with the share of pixels that differ and the largest logit gap.
    """
    __tracebackhide__ = True
    a = _as_numpy(model_a.predict(images, verbose=0))
    b = _as_numpy(model_b.predict(images, verbose=0))
    if a.shape != b.shape:
        raise AssertionError(f"output shapes differ: {a.shape} vs {b.shape}")
    differ = np.argmax(a, -1) != np.argmax(b, -1)
    gap = float(np.max(np.abs(a - b))) if a.size else 0.0
    if differ.mean() > max_pixel_share or gap > atol:
        where = tuple(int(i) for i in np.argwhere(differ)[0]) if differ.any() else None
        raise AssertionError(
            f"{int(differ.sum())} of {differ.size} pixels ({100 * differ.mean():.3g}%) get another "
            f"class (allowed {100 * max_pixel_share:.3g}%), first at {where}; largest logit "
            f"difference {gap:.3g} (allowed {atol:.3g})"
        )
