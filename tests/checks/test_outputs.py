"""Output checks on Keras models, PyTorch modules and plain functions alike."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from tests.checks.models import IMAGES, TorchNet, TrainingModeNorm, tiny_keras
from unetcheck.checks import (
    assert_batch_independent,
    assert_finite,
    assert_flip_equivariant,
    assert_outputs_fit_loss,
    assert_probabilities_valid,
    assert_same_predictions,
)


def test_finite_on_any_framework():
    assert_finite(np.ones(3))
    assert_finite(torch.ones(3, requires_grad=True) * 2)
    with pytest.raises(AssertionError, match=r"logits: 1 NaN and 1 inf of 4 values; first at index \(1,\)"):
        assert_finite(np.array([0.0, np.nan, np.inf, 1.0]), "logits")
    with pytest.raises(AssertionError, match="1 NaN"):
        assert_finite(torch.tensor([0.0, float("nan")], requires_grad=True) * 1)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def test_probabilities_valid_on_every_pixel():
    probs = _softmax(np.random.default_rng(0).normal(size=(2, 5, 5, 3)))
    assert_probabilities_valid(probs)
    assert_probabilities_valid(np.moveaxis(probs, -1, 1), channels_first=True)
    probs[1, 4, 4] = [0.5, 0.5, 0.5]  # one pixel of 50
    with pytest.raises(AssertionError, match=r"1 of 50 pixels \(2%\) are not distributions.*at \(1, 4, 4\)"):
        assert_probabilities_valid(probs)
    probs[0, 0, 0, 0] = np.nan
    with pytest.raises(AssertionError, match=r"1 of 50 pixels .* NaN or inf, first at \(0, 0, 0\)"):
        assert_probabilities_valid(probs)


def test_outputs_fit_the_loss_both_ways():
    logits = np.random.default_rng(0).normal(size=(2, 5, 5, 3))
    probs = _softmax(logits)
    assert_outputs_fit_loss(logits, from_logits=True)
    assert_outputs_fit_loss(probs, from_logits=False)
    # The softmax head forgotten while the loss is told from_logits=False.
    with pytest.raises(AssertionError, match=r"from_logits=False, but 50 of 50 pixels .*softmax head is missing"):
        assert_outputs_fit_loss(logits, from_logits=False)
    # A softmax head and from_logits=True: softmax applied twice.
    with pytest.raises(AssertionError, match=r"from_logits=True, but all 50 pixels are already distributions"):
        assert_outputs_fit_loss(torch.from_numpy(np.moveaxis(probs, -1, 1)), from_logits=True, channels_first=True)


def test_batch_independent_keras_torch_and_functions():
    assert_batch_independent(tiny_keras(keras.layers.BatchNormalization()), IMAGES)
    with pytest.raises(AssertionError, match=r"example 0's output in its batch differs .*model.eval\(\) forgotten"):
        assert_batch_independent(tiny_keras(TrainingModeNorm()), IMAGES)
    torch.manual_seed(0)
    net = TorchNet()
    nchw = torch.from_numpy(IMAGES).permute(0, 3, 1, 2)  # what a PyTorch team holds
    with pytest.raises(AssertionError, match="mixes examples at inference"):
        assert_batch_independent(net, nchw, channels_first=True)  # train mode: batch statistics
    assert_batch_independent(net.eval(), nchw, channels_first=True)
    assert_batch_independent(lambda x: x * 2, IMAGES)
    with pytest.raises(AssertionError, match="mixes examples"):
        assert_batch_independent(lambda x: x - x.mean(0), IMAGES)


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e6])
def test_batch_independent_judges_differences_by_the_outputs_scale(scale):
    # A batched float32 convolution rounds differently from a single one: an smp Unet after a
    # training step, in eval mode, gave logits up to 1.3e6 that moved by 0.938 with the batch,
    # 7e-7 of their scale. The same share at any scale passes; a mode that mixes examples
    # (a share near 1 of the scale) fails at any scale, tiny ones included.
    rounding = lambda x: x * scale * (1 + 7e-7 * (len(x) > 1))  # noqa: E731
    assert_batch_independent(rounding, IMAGES)
    with pytest.raises(
        AssertionError,
        match=r"differs from its output alone by up to .*, [\d.]+ of the outputs' "
        r"scale \(.*; allowed 0\.0001 of it\).*model\.eval\(\) forgotten",
    ):
        assert_batch_independent(lambda x: (x - x.mean(0)) * scale, IMAGES)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.Conv2d(4, 3, 1))
    with torch.no_grad():
        net[2].weight.mul_(scale)
        net[2].bias.mul_(scale)  # the whole output at that scale
    nchw = torch.from_numpy(IMAGES).permute(0, 3, 1, 2)
    assert_batch_independent(net.eval(), nchw, channels_first=True)
    with pytest.raises(AssertionError, match="model.eval\\(\\) forgotten"):
        assert_batch_independent(net.train(), nchw, channels_first=True)


def test_same_predictions_tolerance_is_a_share_of_the_scale():
    big = lambda x: x * 1e6  # noqa: E731
    assert_same_predictions(big, lambda x: x * 1e6 * (1 + 1e-6), IMAGES, rtol=1e-5)
    with pytest.raises(AssertionError, match=r"largest output difference .*, 0\.0001 of the outputs' scale"):
        assert_same_predictions(big, lambda x: x * 1e6 * (1 + 1e-4), IMAGES, rtol=1e-5)


def test_batch_independent_names_a_model_that_cannot_take_one_example():
    # DeepLabV3's pooling branch: BatchNorm over 1x1 features, which PyTorch refuses in
    # training mode for a batch of one.
    torch.manual_seed(0)
    pooled = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Conv2d(3, 3, 1), torch.nn.BatchNorm2d(3))
    nchw = torch.from_numpy(IMAGES).permute(0, 3, 1, 2)
    with pytest.raises(
        AssertionError,
        match=r"takes the batch of 4 but fails on example 0 alone \(ValueError: "
        r"Expected more than 1 value per channel.*model.eval\(\) forgotten",
    ):
        assert_batch_independent(pooled, nchw, channels_first=True)
    assert_batch_independent(pooled.eval(), nchw, channels_first=True)


def test_flip_equivariant():
    keras.utils.set_random_seed(0)  # weights whose argmax varies across the image
    pointwise = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1)])
    assert_flip_equivariant(pointwise, IMAGES, min_agreement=1.0)
    shifted = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1), keras.layers.Lambda(lambda x: keras.ops.roll(x, 3, axis=2))]
    )
    with pytest.raises(AssertionError, match=r"agree with flipped masks on .*% of pixels \(required 99%\); least"):
        assert_flip_equivariant(shifted, IMAGES, min_agreement=0.99)


def test_same_predictions_across_frameworks(tmp_path):
    model = tiny_keras()
    model.save(tmp_path / "m.keras")
    # compile=False: the never-trained optimizer's state is not what is compared.
    assert_same_predictions(model, keras.models.load_model(tmp_path / "m.keras", compile=False), IMAGES)
    other = tiny_keras(seed=5)
    with pytest.raises(AssertionError, match=r"pixels \(.*%\) get another class \(allowed 0%\).*largest output"):
        assert_same_predictions(model, other, IMAGES)
    # The same function in PyTorch (NCHW) and as a Keras model agree within float rounding.
    conv = torch.nn.Conv2d(3, 3, 1)
    keras_conv = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1)])
    keras_conv.set_weights([conv.weight.detach().numpy().transpose(2, 3, 1, 0), conv.bias.detach().numpy()])
    as_nhwc = lambda x: conv(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)  # noqa: E731
    assert_same_predictions(keras_conv, as_nhwc, IMAGES, atol=1e-5)
