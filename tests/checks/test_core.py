"""Reading any framework's objects: the one conversion, the model adapter, parameter snapshots."""

from __future__ import annotations

import jax.numpy as jnp
import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from unetcheck._core import check, framework_of, resolve_part, trainable_arrays
from unetcheck.checks import predict, snapshot, to_numpy

VALUES = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4) / 8  # exact in bfloat16


@pytest.mark.parametrize(
    "make, framework",
    [
        (lambda: VALUES, None),
        (lambda: torch.tensor(VALUES, requires_grad=True) * 1, "torch"),  # an output that requires grad
        (lambda: torch.tensor(VALUES).to(torch.bfloat16), "torch"),
        (lambda: tf.constant(VALUES), "tensorflow"),
        (lambda: tf.Variable(VALUES), "tensorflow"),
        (lambda: keras.Variable(VALUES), "keras"),
        (lambda: jnp.asarray(VALUES), "jax"),
        (lambda: jnp.asarray(VALUES, dtype=jnp.bfloat16), "jax"),
    ],
)
def test_to_numpy_reads_every_framework(make, framework):
    x = make()
    assert framework_of(x) == framework
    arr = to_numpy(x)
    assert isinstance(arr, np.ndarray) and arr.dtype in (np.float32,)  # bfloat16 widened to float32
    np.testing.assert_array_equal(arr, VALUES)


def test_channels_first_is_moved_only_when_asked():
    nchw = np.moveaxis(VALUES, -1, 1)  # (1, 4, 2, 3)
    assert to_numpy(nchw).shape == (1, 4, 2, 3)  # never guessed
    np.testing.assert_array_equal(to_numpy(torch.from_numpy(nchw), channels_first=True), VALUES)
    np.testing.assert_array_equal(to_numpy(nchw[0], channels_first=True), VALUES[0])
    with pytest.raises(ValueError, match=r"channels_first needs \(N, C, H, W\) or \(C, H, W\)"):
        to_numpy(np.zeros((2, 3)), channels_first=True)


class _TorchNet(torch.nn.Module):
    """A pointwise NCHW model with BatchNorm: parameters and buffers."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.BatchNorm2d(4))
        self.head = torch.nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.head(self.encoder(x))


def test_predict_takes_keras_torch_and_functions_alike():
    images = np.random.default_rng(0).uniform(size=(2, 5, 6, 3)).astype(np.float32)
    torch.manual_seed(0)
    net = _TorchNet().eval()
    expected = net(torch.from_numpy(np.moveaxis(images, -1, 1))).detach().numpy()
    out = predict(net, np.moveaxis(images, -1, 1), channels_first=True)  # NCHW in, NCHW out
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6)
    assert not torch.is_grad_enabled() or out.dtype == np.float32  # no graph kept
    keras_model = keras.Sequential([keras.Input((5, 6, 3)), keras.layers.Conv2D(2, 1)])
    np.testing.assert_allclose(predict(keras_model, images), keras_model(images).numpy(), atol=1e-6)
    np.testing.assert_array_equal(predict(lambda x: x[..., :2] * 2, images), images[..., :2] * 2)
    np.testing.assert_array_equal(predict(lambda x: jnp.asarray(x) + 1, images), images + 1)


def test_snapshot_holds_parameters_and_buffers_and_copies_them():
    net = _TorchNet()
    before = snapshot(net.encoder)
    assert sorted(before) == [
        "0.bias",
        "0.weight",
        "1.bias",
        "1.num_batches_tracked",
        "1.running_mean",
        "1.running_var",
        "1.weight",
    ]
    with torch.no_grad():
        net.encoder[1].running_mean += 1
    assert not np.array_equal(snapshot(net.encoder)["1.running_mean"], before["1.running_mean"])
    layer = keras.layers.BatchNormalization()
    layer.build((None, 4))
    assert sorted(snapshot(layer)) == sorted(w.path for w in layer.weights) and len(snapshot(layer)) == 4
    params = {"w": np.ones(2)}
    copy = snapshot(params)
    params["w"] += 1  # in place: the snapshot must not follow
    np.testing.assert_array_equal(copy["w"], np.ones(2))
    assert snapshot(lambda: {"k": jnp.zeros(3)})["k"].shape == (3,)
    with pytest.raises(ValueError, match="expected a PyTorch module, a Keras model"):
        snapshot(42)


def test_trainable_arrays_follow_each_frameworks_rule():
    net = _TorchNet()
    net.encoder.requires_grad_(False)
    assert sorted(trainable_arrays(net)) == ["head.bias", "head.weight"]
    encoder = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 1)], name="enc")
    encoder.trainable = False
    model = keras.Sequential([encoder, keras.layers.Conv2D(2, 1, name="head")])
    assert [name.split("/", 1)[1] for name in trainable_arrays(model)] == ["head/kernel", "head/bias"]


def test_resolve_part_by_path_in_each_framework():
    net = _TorchNet()
    part, label = resolve_part(net, "encoder.1")
    assert part is net.encoder[1] and label == "frozen 'encoder.1'"
    with pytest.raises(ValueError, match=r"has no part 'encoder\.3'; nearest: \['encoder\.1', 'encoder\.0'"):
        resolve_part(net, "encoder.3")
    inner = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 1, name="deep")], name="inner")
    outer = keras.Sequential([keras.Input((4, 4, 3)), inner], name="outer")
    assert resolve_part(outer, "deep")[0] is inner.layers[0]  # nested, by its name
    assert resolve_part(outer, "inner/deep")[0] is inner.layers[0]  # by its path
    with pytest.raises(ValueError, match=r"model 'outer' has no part 'inner/dep'; nearest: \['inner/deep'"):
        resolve_part(outer, "inner/dep")
    params = {"encoder.w": 1, "encoder.b": 2, "head.w": 3}
    assert resolve_part(params, "encoder")[0]() == {"encoder.w": 1, "encoder.b": 2}
    with pytest.raises(ValueError, match=r"no part 'encoders'; nearest: \['encoder"):
        resolve_part(params, "encoders")
    tree = {"encoder": {"conv": {"kernel": 1, "bias": 2}}, "head": {"kernel": 3}}  # a Flax / JAX pytree
    assert resolve_part(tree, "encoder/conv")[0]() == {"encoder/conv/kernel": 1, "encoder/conv/bias": 2}
    assert resolve_part(tree, "encoder.conv")[0]() == {"encoder/conv/kernel": 1, "encoder/conv/bias": 2}


def test_two_keras_layers_of_one_name_need_their_path():
    first = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 1, name="conv")], name="first")
    second = keras.Sequential([keras.Input((4, 4, 2)), keras.layers.Conv2D(2, 1, name="conv")], name="second")
    model = keras.Sequential([keras.Input((4, 4, 3)), first, second])
    with pytest.raises(
        ValueError,
        match=r"several layers named 'conv': give the path, one of \['first/conv', "
        r"'second/conv'\]",
    ):
        resolve_part(model, "conv")
    assert resolve_part(model, "second/conv")[0] is second.layers[0]


def test_a_check_inside_another_fails_with_the_outer_checks_name_alone():
    @check
    def assert_inner(x):
        assert x > 0, f"{x} is not positive"

    @check
    def assert_outer(x):
        assert_inner(x)

    with pytest.raises(AssertionError, match=r"^\[unetcheck\.assert_outer\] step 3: -1 is not positive") as outer:
        assert_outer(-1, custom_message="step 3")
    assert "assert_inner" not in str(outer.value)
    with pytest.raises(AssertionError, match=r"^\[unetcheck\.assert_inner\] -1 is not positive"):
        assert_inner(-1)  # called on its own, the inner check names itself
