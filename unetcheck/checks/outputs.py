"""Checks on a model's outputs: finite, probabilities, a loss told the truth about them,
batch independence, flip equivariance, the same predictions as another model.

Every model argument is anything `unetcheck.checks.predict` takes: a Keras model (Keras 3
or tf-keras), a PyTorch module, a Flax module, or a function of NumPy images (a JAX
`apply`, say), returning its logits as its library does: a tensor, a dict (torchvision's
`{"out", "aux"}`), a tuple (smp with `aux_params`), an output object with `.logits`
(transformers); `output=` names them where the rule of `select_output` does not find them.
With `channels_first=True`, images and outputs are (N, C, H, W) and (N, K, H, W).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from unetcheck._core import check, first_index, gap_in_scale, percent, scale_of, to_numpy
from unetcheck.checks._models import OutputSelector, as_images, outputs_nhwc, select_output


@check
def assert_finite(x: Any, name: str = "array", output: OutputSelector = None) -> None:
    """Checks that every element of `x` (any framework's array, or a model's output in any
    form `select_output` reads) is finite: no NaN, no inf.

    Examples:
        >>> import numpy as np
        >>> assert_finite(np.array([0.5, -2.0]))
        >>> assert_finite(np.array([0.5, np.nan, np.inf]), "logits")
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_finite] logits: 1 NaN and 1 inf of 3 values; first at index (1,)

    Raises:
      AssertionError: the count of NaN and inf values and the first index.
    """
    arr = to_numpy(select_output(x, output))
    bad = ~np.isfinite(arr)
    if bad.any():
        raise AssertionError(
            f"{name}: {int(np.isnan(arr).sum())} NaN and {int(np.isinf(arr).sum())} inf of {arr.size} values; "
            f"first at index {first_index(bad)}"
        )


def _not_distributions(probs: np.ndarray, atol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel: values outside [0, 1], sums away from 1, and the sums."""
    outside = ((probs < -atol) | (probs > 1 + atol)).any(-1)
    sums = probs.sum(-1)
    return outside, np.abs(sums - 1) > atol, sums


@check
def assert_probabilities_valid(
    probs: Any, atol: float = 1e-5, channels_first: bool = False, output: OutputSelector = None
) -> None:
    """Checks every pixel (not a sample) of `probs` (..., classes): finite, in [0, 1], summing to 1.

    For a model's softmax output. Logits are not probabilities: to check that outputs fit
    the loss they are given to, use `assert_outputs_fit_loss`.

    Examples:
        >>> import numpy as np
        >>> probs = np.full((1, 2, 2, 3), 1 / 3)  # (N, H, W, classes)
        >>> assert_probabilities_valid(probs)
        >>> assert_probabilities_valid(probs * 2)
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_probabilities_valid] 4 of 4 pixels (100%) are not distributions: 0 with ...

    Args:
      atol: tolerance on each value and on each pixel's sum (float32 rounding).
      channels_first: `probs` is (N, classes, H, W).
      output: where the probabilities are in a model's output (see `select_output`).

    Raises:
      AssertionError: the count of pixels with non-finite values, values outside [0, 1],
        or sums away from 1, and the worst pixel.
    """
    arr = to_numpy(select_output(probs, output), channels_first).astype(np.float64)
    bad = ~np.isfinite(arr).all(-1)
    if bad.any():
        raise AssertionError(
            f"{int(bad.sum())} of {bad.size} pixels ({percent(bad.sum(), bad.size)}) hold NaN or "
            f"inf, first at {first_index(bad)}"
        )
    outside, off, sums = _not_distributions(arr, atol)
    if outside.any() or off.any():
        worst = np.unravel_index(int(np.argmax(np.abs(sums - 1))), sums.shape)
        raise AssertionError(
            f"{int((outside | off).sum())} of {off.size} pixels ({percent((outside | off).sum(), off.size)}) are "
            f"not distributions: {int(outside.sum())} with values outside [0, 1], {int(off.sum())} not summing to 1; "
            f"worst sum {sums[worst]:.6g} at {tuple(int(i) for i in worst)}"
        )


@check
def assert_outputs_fit_loss(
    outputs: Any, from_logits: bool, atol: float = 1e-5, channels_first: bool = False, output: OutputSelector = None
) -> None:
    """Checks that a model's outputs are what its loss is told they are.

    With `from_logits=False` every pixel must be a distribution (a model without its
    softmax head, trained with `from_logits=False`, fails). With `from_logits=True` the
    outputs must not all be distributions already (a softmax head trained with
    `from_logits=True` applies the softmax twice, which flattens the loss's gradients).

    Examples:
        >>> import numpy as np
        >>> logits = np.random.default_rng(0).normal(size=(1, 4, 4, 3))
        >>> assert_outputs_fit_loss(logits, from_logits=True)
        >>> assert_outputs_fit_loss({"out": logits}, from_logits=False)  # torchvision's dict, as it comes
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_outputs_fit_loss] the loss is told from_logits=False, but 16 of 16 pixels ...

    Args:
      outputs: (..., classes) model outputs on a batch of real images, as the model
        returns them (a dict, a tuple, an output object: see `select_output`).
      from_logits: what the loss is given (`SparseCategoricalCrossentropy(from_logits=...)`,
        or `True` for `torch.nn.CrossEntropyLoss`, which takes logits).
      channels_first: `outputs` is (N, classes, H, W).
      output: where the logits are in the model's output, if the rule does not find them.

    Raises:
      AssertionError: how many pixels contradict the claim, and the likely slip.
    """
    arr = to_numpy(select_output(outputs, output), channels_first).astype(np.float64)
    assert_finite(arr, "outputs")
    outside, off, sums = _not_distributions(arr, atol)
    wrong = outside | off
    if not from_logits and wrong.any():
        raise AssertionError(
            f"the loss is told from_logits=False, but {int(wrong.sum())} of {wrong.size} pixels "
            f"({percent(wrong.sum(), wrong.size)}) are not distributions (sums from {sums.min():.4g} to "
            f"{sums.max():.4g}, values from {arr.min():.4g} to {arr.max():.4g}): the softmax head is missing, "
            "or pass from_logits=True"
        )
    if from_logits and not wrong.any():
        raise AssertionError(
            f"the loss is told from_logits=True, but all {wrong.size} pixels are already distributions (in [0, 1], "
            "summing to 1): the model ends in a softmax, so the loss applies a second one. Drop the softmax head "
            "or pass from_logits=False"
        )


@check
def assert_batch_independent(
    model: Any,
    images: Any,
    rtol: float = 1e-4,
    channels_first: bool = False,
    output: OutputSelector = None,
    atol: float = 0.0,
) -> None:
    """Checks that, in inference mode, an example's output ignores the rest of its batch.

    Each example is predicted alone, within the batch, and within a batch whose other
    examples are replaced by noise. Fails when BatchNorm runs in training mode at
    inference (PyTorch: `model.eval()` forgotten; Keras: `training=True` hard-wired).
    Differences are measured against the outputs' scale (their largest magnitude): a batched
    float32 convolution rounds differently from a single one, by about 1e-6 of the scale,
    whether the logits are of size 1 or 1e6; a mode mixing examples moves them by a large
    share of it.

    Examples:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).uniform(size=(4, 8, 8, 3))
        >>> assert_batch_independent(lambda x: x * 2, images)
        >>> assert_batch_independent(lambda x: x - x.mean(0), images)  # normalized over the batch
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_batch_independent] example 0's output in its batch differs from its ...

    Args:
      model: what your code predicts with, since that callable is what is tested: a Keras
        model (called with `training=False`: if your predict path calls it otherwise,
        pass that path, e.g. `lambda x: model(x, training=True)`), a PyTorch module
        (called in the mode it is in), a Flax module (likewise: `model.eval()` is yours),
        or your own predict function.
      images: N >= 2 images in any framework, (N, H, W, C), or (N, C, H, W) with
        `channels_first`.
      rtol: largest difference allowed, as a share of the outputs' scale (100 times the
        rounding measured; training-mode BatchNorm moves outputs by 1e-2 to 1 of it).
      channels_first: the model takes (N, C, H, W) and returns (N, K, H, W); so are `images`.
      output: where the logits are in the model's output (see `select_output`).
      atol: an absolute floor, for outputs near zero.

    Raises:
      AssertionError: which example changed with its batch, by how much, and what share of
        the outputs' scale that is.
      ValueError: images in another layout than `channels_first` says, or an output the
        rule cannot read.
    """
    images = as_images(images, channels_first, model)
    if len(images) < 2:
        raise ValueError("need a batch of at least 2 images")

    def predict(batch: np.ndarray) -> np.ndarray:
        return outputs_nhwc(model, batch, channels_first, output)

    batched = predict(images)
    scale = scale_of(batched)
    noise = np.random.default_rng(0).uniform(size=images.shape).astype(np.float32)
    for i in range(len(images)):
        try:
            alone = predict(images[i : i + 1])[0]
        except (ValueError, RuntimeError) as err:  # e.g. PyTorch's BatchNorm in training mode on one value
            raise AssertionError(
                f"the model takes the batch of {len(images)} but fails on example {i} alone ({type(err).__name__}: "
                f"{str(err).splitlines()[0][:200]}): it depends on the batch at inference (BatchNorm in training "
                "mode: model.eval() forgotten?)"
            ) from None
        mixed = noise.copy()
        mixed[i] = images[i]
        among_noise = predict(mixed)[i]
        for label, other in (("in its batch", batched[i]), ("among noise images", among_noise)):
            gap = float(np.max(np.abs(other.astype(np.float64) - alone)))
            too_far = gap_in_scale(gap, scale, rtol, atol)
            if too_far:
                raise AssertionError(
                    f"example {i}'s output {label} differs from its output alone by up to {too_far}: the model "
                    "mixes examples at inference (BatchNorm in training mode: model.eval() forgotten?)"
                )


@check
def assert_flip_equivariant(
    model: Any, images: Any, min_agreement: float = 0.9, channels_first: bool = False, output: OutputSelector = None
) -> None:
    """Checks that the mask of a left-right flipped image is the flipped mask, on enough pixels.

    Logits smaller than the image (SegFormer's quarter size) are compared at their own size.

    Examples:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3))
        >>> assert_flip_equivariant(lambda x: x, images, min_agreement=1.0)
        >>> assert_flip_equivariant(lambda x: np.roll(x, 2, axis=2), images)  # shifts its masks right
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_flip_equivariant] flipped predictions agree with flipped masks on ...% of ...

    Args:
      images: (N, H, W, C), or (N, C, H, W) with `channels_first`, any framework.
      channels_first: the model takes (N, C, H, W) and returns (N, K, H, W).
      output: where the logits are in the model's output (see `select_output`).

    Raises:
      AssertionError: the share of pixels that agree and the example that agrees least.
    """
    images = as_images(images, channels_first, model)
    masks = np.argmax(outputs_nhwc(model, images, channels_first, output), -1)
    flipped = np.argmax(outputs_nhwc(model, np.ascontiguousarray(images[:, :, ::-1]), channels_first, output), -1)
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
def assert_same_predictions(
    model_a: Any,
    model_b: Any,
    images: Any,
    max_pixel_share: float = 0.0,
    atol: float = 0.0,
    channels_first: bool = False,
    output: OutputSelector = None,
    rtol: float = 0.0,
) -> None:
    """Checks that two models give the same masks, and outputs within `rtol` of their scale, on
    `images`. Identical by default (a save and reload must be); CPU against GPU or two
    frameworks round differently, by a share of the outputs' scale (`rtol`).

    E.g. a model before and after a save and reload, on CPU and on GPU, or in two
    frameworks (each argument is a Keras model, a PyTorch module or a function).

    Examples:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3))
        >>> assert_same_predictions(lambda x: x * 2, lambda x: x + x, images)
        >>> assert_same_predictions(lambda x: x, lambda x: x[..., ::-1], images)
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_same_predictions] ... of 128 pixels (...%) get another class (allowed ...

    Args:
      images: (N, H, W, C), or (N, C, H, W) with `channels_first`, any framework.
      max_pixel_share: largest share of pixels whose argmax class may differ.
      atol: an absolute floor on the outputs' difference, for outputs near zero.
      channels_first: both models take (N, C, H, W) and return (N, K, H, W).
      output: where the logits are in both models' outputs (see `select_output`).
      rtol: largest difference allowed between the outputs, as a share of their scale (the
        largest magnitude of `model_a`'s).

    Raises:
      AssertionError: the share of pixels that get another class and the largest output gap.
    """
    images = as_images(images, channels_first, model_a)
    a, b = (outputs_nhwc(m, images, channels_first, output) for m in (model_a, model_b))
    if a.shape != b.shape:
        raise AssertionError(f"output shapes differ: {a.shape} vs {b.shape}")
    differ = np.argmax(a, -1) != np.argmax(b, -1)
    gap = float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0
    too_far = gap_in_scale(gap, scale_of(a), rtol, atol)
    if differ.mean() > max_pixel_share or too_far:
        raise AssertionError(
            f"{int(differ.sum())} of {differ.size} pixels ({percent(differ.sum(), differ.size)}) get another class "
            f"(allowed {100 * max_pixel_share:.3g}%), first at {first_index(differ)}; largest output difference "
            f"{too_far or f'{gap:.3g}'}"
        )
