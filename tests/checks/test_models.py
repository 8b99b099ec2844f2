"""Calling a team's model: its layout, its output form, logits of another size.

The libraries' own output forms (torchvision's dict, SegFormer's output object, smp's
tuple) are exercised by the example teams under examples/, each in its own environment;
these tests hold the rules on stand-ins of the same shape.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from tests.checks.models import IMAGES, TorchNet
from unetcheck._core import resolve_part
from unetcheck.checks import (
    assert_batch_independent,
    assert_flip_equivariant,
    assert_frozen,
    assert_outputs_fit_loss,
    predict,
    select_output,
    snapshot,
)
from unetcheck.checks._models import as_images, resize_outputs

LOGITS = np.random.default_rng(3).normal(size=(2, 4, 4, 3)).astype(np.float32)


class _Output:
    """An output object in the manner of transformers' (`.logits`), but no mapping."""

    def __init__(self, logits):
        self.logits, self.hidden_states = logits, None


@pytest.mark.parametrize(
    "raw, expected",
    [
        (LOGITS, LOGITS),
        ({"out": LOGITS, "aux": LOGITS * 0}, LOGITS),  # torchvision: "out" before "aux"
        ({"logits": LOGITS, "hidden_states": (LOGITS * 0,)}, LOGITS),
        ({"masks": LOGITS, "loss": None}, LOGITS),  # one value once None is left out
        ((LOGITS, np.zeros((2, 5))), LOGITS),  # smp with aux_params: (masks, labels)
        (_Output(LOGITS), LOGITS),
    ],
)
def test_select_output_follows_the_documented_rule(raw, expected):
    assert select_output(raw) is expected


def test_select_output_takes_a_selector_and_names_what_it_cannot_read():
    both = {"seg": LOGITS, "edges": LOGITS * 0}
    assert select_output(both, "seg") is LOGITS
    assert select_output((LOGITS * 0, LOGITS), 1) is LOGITS
    assert select_output(_Output(LOGITS), "logits") is LOGITS
    assert select_output(both, lambda out: out["seg"]) is LOGITS
    with pytest.raises(
        ValueError,
        match=r"a builtins.dict with keys \['seg', 'edges'\]: name the logits with "
        r"output='KEY'",
    ):
        select_output(both)
    with pytest.raises(ValueError, match=r"output='mask' selects nothing .* builtins.dict \(keys \['seg', 'edges'\]"):
        select_output(both, "mask")
    with pytest.raises(ValueError, match=r"cannot read logits from the model's output of type builtins.object"):
        select_output(object())


def test_resize_matches_pytorchs_half_pixel_interpolation():
    # PyTorch's interpolate is an independent implementation of the same rule
    # (align_corners=False, "nearest-exact"). On values ~N(0, 1) the two float32 results
    # differed by up to 1.7e-6 (rounding of the weights); a centre off by half a pixel
    # moves values by about 0.1.
    small = np.random.default_rng(4).normal(size=(2, 5, 7, 3)).astype(np.float32)
    nchw = torch.from_numpy(small).permute(0, 3, 1, 2)
    for size in ((20, 28), (3, 4), (5, 13)):
        bilinear = torch.nn.functional.interpolate(nchw, size=size, mode="bilinear", align_corners=False)
        np.testing.assert_allclose(
            resize_outputs(small, size, "bilinear"), bilinear.permute(0, 2, 3, 1).numpy(), atol=1e-5
        )
        nearest = torch.nn.functional.interpolate(nchw, size=size, mode="nearest-exact")
        np.testing.assert_array_equal(resize_outputs(small, size, "nearest"), nearest.permute(0, 2, 3, 1).numpy())
    with pytest.raises(ValueError, match=r"resize must be one of \('bilinear', 'nearest'\) or None; got 'area'"):
        resize_outputs(small, (4, 4), "area")


class _DictNet(torch.nn.Module):
    """NCHW logits at a quarter of the input size, returned torchvision's way."""

    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Conv2d(3, 3, 4, stride=4)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        out = self.body(x)
        return {"out": out, "aux": out.detach() * 0}


def test_predict_keeps_the_callers_layout_and_resizes_only_when_asked():
    torch.manual_seed(0)
    net = _DictNet()
    images = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        expected = net(images)["out"].numpy()
    out = predict(net, images, channels_first=True)
    assert out.shape == (2, 3, 4, 4)  # NCHW in, NCHW out, at the model's own size
    np.testing.assert_allclose(out, expected, atol=1e-6)
    resized = predict(net, images, channels_first=True, resize="bilinear")
    assert resized.shape == (2, 3, 16, 16)
    np.testing.assert_allclose(
        resized,
        torch.nn.functional.interpolate(
            torch.from_numpy(expected), size=(16, 16), mode="bilinear", align_corners=False
        ).numpy(),
        atol=1e-6,
    )


def test_a_layout_mismatch_is_a_value_error_before_the_model_runs():
    torch.manual_seed(0)
    net = _DictNet()
    nhwc = torch.rand(2, 16, 16, 3)
    with pytest.raises(
        ValueError,
        match=r"images of shape \(2, 16, 16, 3\) look \(N, H, W, C\) and the model "
        r"takes \(3, None, None\) per example, but channels_first=True means",
    ):
        assert_batch_independent(net, nhwc, channels_first=True)
    assert net.calls == 0
    keras_model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1)])
    with pytest.raises(ValueError, match=r"look \(N, C, H, W\) .* but channels_first=False means \(N, H, W, C\)"):
        predict(keras_model, np.moveaxis(IMAGES, -1, 1))
    with pytest.raises(ValueError, match=r"do not fit the model's input, \(3, None, None\) per example"):
        predict(net, torch.rand(2, 5, 16, 16), channels_first=True)
    # A function says nothing of its input: a channel axis of 16 beside a last axis of 3 is a mix-up.
    with pytest.raises(ValueError, match=r"look \(N, H, W, C\)"):
        as_images(np.zeros((2, 16, 16, 3)), channels_first=True)
    assert as_images(np.zeros((2, 3, 16, 12)), channels_first=True).shape == (2, 16, 12, 3)
    with pytest.raises(ValueError, match=r"images must be a batch \(N, H, W, C\); got shape \(16, 16, 3\)"):
        as_images(np.zeros((16, 16, 3)), channels_first=False)


class _HeadFirst(torch.nn.Module):
    """Its 16-channel head registered before its 3-channel stem: modules() order is not forward's."""

    def __init__(self) -> None:
        super().__init__()
        self.head = torch.nn.Conv2d(16, 2, 1)
        self.stem = torch.nn.Conv2d(3, 16, 3, padding=1)

    def forward(self, x):
        return self.head(self.stem(x))


def test_the_layout_is_judged_only_by_what_the_model_says_of_its_input():
    torch.manual_seed(0)
    images = torch.rand(2, 3, 16, 16)  # (N, C, H, W) with W = 16, the head's channel count
    assert predict(_HeadFirst().eval(), images, channels_first=True).shape == (2, 2, 16, 16)


def test_output_checks_take_outputs_as_the_library_returns_them():
    torch.manual_seed(0)
    net = _DictNet().eval()
    images = torch.rand(4, 3, 16, 16)
    assert_batch_independent(net, images, channels_first=True)
    assert_outputs_fit_loss(net(images), from_logits=True, channels_first=True)
    with pytest.raises(AssertionError, match="from_logits=False, but"):
        assert_outputs_fit_loss(net(images), from_logits=False, channels_first=True)
    mixing = TorchNet()  # training mode: BatchNorm mixes the batch
    with pytest.raises(AssertionError, match="mixes examples"):
        assert_batch_independent(lambda x: (mixing(torch.from_numpy(x)), None), images, channels_first=True)
    shifts = lambda x: {"logits": torch.roll(torch.from_numpy(x), 3, -1)}  # noqa: E731  not equivariant
    with pytest.raises(AssertionError, match="agree with flipped masks"):
        assert_flip_equivariant(shifts, images, min_agreement=1.0, channels_first=True)
    assert_flip_equivariant(lambda x: {"logits": x}, images, min_agreement=1.0, channels_first=True)
    with pytest.raises(ValueError, match=r"with keys \['a', 'b'\]"):
        assert_batch_independent(lambda x: {"a": x, "b": x}, images, channels_first=True)
    assert_batch_independent(lambda x: {"a": x, "b": x}, images, channels_first=True, output="b")


def test_nested_states_are_named_by_their_paths():
    state = {
        "encoder": {"conv": {"kernel": np.ones((3, 3)), "bias": np.zeros(3)}, "bn": {"mean": np.zeros(3)}},
        "head": [np.ones(2), (np.zeros(1),)],
    }
    assert sorted(snapshot(state)) == [
        "encoder/bn/mean",
        "encoder/conv/bias",
        "encoder/conv/kernel",
        "head/0",
        "head/1/0",
    ]
    assert sorted(resolve_part(state, "encoder/conv")[0]()) == ["encoder/conv/bias", "encoder/conv/kernel"]


def test_a_jax_pytree_of_its_own_is_named_by_its_fields():
    import dataclasses

    import jax

    @dataclasses.dataclass
    class TrainState:  # a JAX training loop's state, registered as a pytree
        params: dict
        step: object

    jax.tree_util.register_dataclass(TrainState, data_fields=["params", "step"], meta_fields=[])
    state = {"run": TrainState(params={"encoder": {"w": np.ones(2)}}, step=np.zeros(()))}
    assert sorted(snapshot(state)) == ["run/params/encoder/w", "run/step"]


def test_frozen_on_a_nested_functional_state():
    # A JAX-style loop replaces the arrays in its state: the check reads the state anew.
    params = {"params": {"encoder": {"w": np.ones(3)}, "head": {"w": np.ones(2)}}}

    def step(freeze_encoder: bool):
        def run():
            new = {name: {"w": part["w"] - 0.1} for name, part in params["params"].items()}
            if freeze_encoder:
                new["encoder"] = params["params"]["encoder"]
            params["params"] = new

        return run

    assert_frozen(lambda: params, "params/encoder", step(True))
    with pytest.raises(
        AssertionError,
        match=r"1 of 1 arrays of frozen 'params/encoder' changed: "
        r"\['params/encoder/w'\]",
    ):
        assert_frozen(lambda: params, "params/encoder", step(False))
