"""Checks on a model's outputs: finite, valid probabilities, batch independence,
flip equivariance, same predictions as another model."""

from __future__ import annotations

from typing import Any

import numpy as np

from unetcheck._checks.base import as_numpy, check, first_index, percent


@check
def assert_finite(x: Any, name: str = "array") -> None:
    """Checks that every element of `x` is finite (no NaN, no inf).

    Raises:
      AssertionError: the count of NaN and inf values and the first index.
    """
    arr = as_numpy(x)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise AssertionError(
            f"{name}: {int(np.isnan(arr).sum())} NaN and {int(np.isinf(arr).sum())} inf of {arr.size} values; "
            f"first at index {first_index(bad)}"
        )


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(-1, keepdims=True)


@check
def assert_probabilities_valid(logits_or_probs: Any, from_logits: bool = True, atol: float = 1e-5) -> None:
    """Checks every pixel (not a sample): finite, and a distribution over the last axis.

    Args:
      logits_or_probs: (..., classes) logits, or probabilities with `from_logits=False`.
      from_logits: apply a softmax first (as the model's loss does).
      atol: tolerance on each pixel's probabilities summing to 1 (float32 rounding).

    Raises:
      AssertionError: the count of pixels with non-finite values, values outside [0, 1],
        or sums away from 1, and the worst pixel.
    """
    arr = as_numpy(logits_or_probs).astype(np.float64)
    bad = ~np.isfinite(arr).all(-1)
    if bad.any():
        raise AssertionError(f"{int(bad.sum())} of {bad.size} pixels ({percent(bad.sum(), bad.size)}) hold NaN or "
                             f"inf, first at {first_index(bad)}")
    probs = _softmax(arr) if from_logits else arr
    outside = ((probs < -atol) | (probs > 1 + atol)).any(-1)
    sums = probs.sum(-1)
    off = np.abs(sums - 1) > atol
    if outside.any() or off.any():
        worst = np.unravel_index(int(np.argmax(np.abs(sums - 1))), sums.shape)
        raise AssertionError(
            f"{int((outside | off).sum())} of {off.size} pixels ({percent((outside | off).sum(), off.size)}) are "
            f"not distributions: {int(outside.sum())} with values outside [0, 1], {int(off.sum())} not summing to 1; "
            f"worst sum {sums[worst]:.6g} at {tuple(int(i) for i in worst)}"
            + (" (logits passed with from_logits=False?)" if not from_logits else "")
        )


def _predict(model: Any, images: np.ndarray) -> np.ndarray:
    return as_numpy(model(images, training=False))


@check
def assert_batch_independent(model: Any, images: Any, atol: float = 1e-4) -> None:
    """Checks that, in inference mode, an example's output ignores the rest of its batch.

    Each example is predicted alone, within the batch, and within a batch whose other
    examples are replaced by noise. Fails e.g. when BatchNorm is left in training mode.

    Args:
      atol: largest absolute logit difference allowed (batched float reductions may
        round differently).

    Raises:
      AssertionError: which example changed with its batch and by how much.
    """
    images = as_numpy(images).astype(np.float32)
    if len(images) < 2:
        raise ValueError("need a batch of at least 2 images")
    batched = _predict(model, images)
    noise = np.random.default_rng(0).uniform(size=images.shape).astype(np.float32)
    for i in range(len(images)):
        alone = _predict(model, images[i:i + 1])[0]
        mixed = noise.copy()
        mixed[i] = images[i]
        among_noise = _predict(model, mixed)[i]
        for label, other in (("in its batch", batched[i]), ("among noise images", among_noise)):
            gap = float(np.max(np.abs(other - alone)))
            if gap > atol:
                raise AssertionError(
                    f"example {i}'s output {label} differs from its output alone by up to {gap:.3g} "
                    f"(allowed {atol:.3g}): the model mixes examples at inference (BatchNorm in training mode?)"
                )


@check
def assert_flip_equivariant(model: Any, images: Any, min_agreement: float = 0.9) -> None:
    """Checks that the mask of a left-right flipped image is the flipped mask, on enough pixels.

    Raises:
      AssertionError: the share of pixels that agree and the example that agrees least.
    """
    images = as_numpy(images).astype(np.float32)
    masks = np.argmax(_predict(model, images), -1)
    flipped = np.argmax(_predict(model, images[:, :, ::-1]), -1)
    agree = flipped == masks[:, :, ::-1]
    share = float(agree.mean())
    if share < min_agreement:
        per_example = agree.reshape(len(images), -1).mean(1)
        worst = int(np.argmin(per_example))
        raise AssertionError(
            f"flipped predictions agree with flipped masks on {100 * share:.3g}% of pixels (required "
            f"{100 * min_agreement:.3g}%); least in example {worst} ({100 * per_example[worst]:.3g}%)"
        )


@check
def assert_same_predictions(model_a: Any, model_b: Any, images: Any, max_pixel_share: float = 0.0,
                            atol: float = 0.0) -> None:
    """Checks that two models give the same masks, and logits within `atol`, on `images`.

    E.g. a model before and after a `.keras` save and reload, or on CPU and on GPU.

    Args:
      max_pixel_share: largest share of pixels whose argmax class may differ.
      atol: largest absolute difference allowed between the logits.

    Raises:
      AssertionError: the share of pixels that get another class and the largest logit gap.
    """
    images = as_numpy(images)
    a, b = _predict(model_a, images), _predict(model_b, images)
    if a.shape != b.shape:
        raise AssertionError(f"output shapes differ: {a.shape} vs {b.shape}")
    differ = np.argmax(a, -1) != np.argmax(b, -1)
    gap = float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0
    if differ.mean() > max_pixel_share or gap > atol:
        raise AssertionError(
            f"{int(differ.sum())} of {differ.size} pixels ({percent(differ.sum(), differ.size)}) get another class "
            f"(allowed {100 * max_pixel_share:.3g}%), first at {first_index(differ)}; largest logit difference "
            f"{gap:.3g} (allowed {atol:.3g})"
        )
