"""assert_loss_ignores on each framework's losses: the void label left out passes; forgotten,
it fails with the option that leaves it out, whether the loss crashes on it or not."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from unetcheck.checks import assert_loss_ignores


def test_pytorch_cross_entropy_with_and_without_ignore_index():
    assert_loss_ignores(torch.nn.CrossEntropyLoss(ignore_index=255))
    # Without it, PyTorch's CPU kernel refuses the target 255.
    with pytest.raises(
        AssertionError,
        match=r"fails on labels holding 255 \(IndexError: Target 255 is out of "
        r"bounds.*ignore_index=255",
    ):
        assert_loss_ignores(torch.nn.CrossEntropyLoss())
    # Per-pixel losses (reduction="none") are compared pixel by pixel.
    assert_loss_ignores(torch.nn.CrossEntropyLoss(ignore_index=255, reduction="none"))


def test_a_loss_that_does_not_check_its_targets_is_caught():
    # A soft-label cross-entropy on one-hot targets: one_hot(255) is refused, so the team
    # clamps, and void pixels train as the last class, silently.
    def clamped(logits, target):
        onehot = torch.nn.functional.one_hot(target.clamp(max=2), 3).permute(0, 3, 1, 2).float()
        return torch.nn.functional.cross_entropy(logits, onehot)

    with pytest.raises(
        AssertionError,
        match=r"changing the logits at the 32 void pixels \(label 255\) changes the "
        r"loss by .* of the loss' scale .*: it counts them",
    ):
        assert_loss_ignores(clamped, call="torch")


def test_keras_loss_with_and_without_ignore_class():
    assert_loss_ignores(keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255))
    with pytest.raises(AssertionError, match="ignore_class=255"):
        assert_loss_ignores(keras.losses.SparseCategoricalCrossentropy(from_logits=True))


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_a_numpy_loss_at_any_scale(scale):
    def masked_mean(logits, labels, ignore=255):
        keep = labels != ignore
        return scale * (np.square(logits).sum(-1) * keep).sum() / keep.sum()

    assert_loss_ignores(masked_mean)
    with pytest.raises(AssertionError, match="it counts them"):
        assert_loss_ignores(lambda x, y: masked_mean(x, y, ignore=-1))


def test_a_loss_that_ignores_every_logit_or_cannot_be_called_is_a_callers_mistake():
    with pytest.raises(ValueError, match="does not change with the logits"):
        assert_loss_ignores(lambda logits, labels: np.float64(1.0))
    with pytest.raises(ValueError, match=r"fails on labels 0\.\.2 called as 'numpy'.*pass call="):
        assert_loss_ignores(lambda logits: logits.sum())
