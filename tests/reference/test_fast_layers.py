"""The fast layers (`unet_model(fast=True)`) compute the tutorial's function: against the stock
layers and NumPy."""

from __future__ import annotations

from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st

from unetcheck import calibrate_encoder, unet_model
from unetcheck.bench.machine import model_flops
from unetcheck.reference.fast_layers import FusedBatchNormalization, SkipConv2DTranspose
from unetcheck.reference.model import to_stock


@given(
    channels=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    side=st.integers(1, 5),
    kernel=st.integers(1, 3),
    strides=st.integers(1, 2),
    padding=st.sampled_from(["same", "valid"]),
    use_bias=st.booleans(),
    filters=st.integers(1, 4),
    gemm=st.booleans(),
)
def test_skip_conv_equals_conv_of_concatenation(channels, side, kernel, strides, padding, use_bias, filters, gemm):
    # kernel^2 * filters below the channel count takes the matmul-to-taps path (the
    # tutorial's last layer), otherwise one transposed convolution per input: both drawn,
    # each with TensorFlow's filter gradient or the matmul of patches (`gemm`), whichever
    # this machine would take.
    rng = np.random.default_rng(sum(channels) + 7 * side)
    inputs = [tf.constant(rng.normal(size=(2, side, side, c)), tf.float32) for c in channels]
    ours = SkipConv2DTranspose(filters, kernel, strides=strides, padding=padding, use_bias=use_bias)
    plain = keras.layers.Conv2DTranspose(filters, kernel, strides=strides, padding=padding, use_bias=use_bias)
    with mock.patch("unetcheck.reference.fast_layers.gemm_filter_gradient_is_faster", lambda: gemm):
        _compare_skip_conv(ours, plain, inputs, rng)


def _compare_skip_conv(ours, plain, inputs, rng):
    ours(inputs)
    plain(tf.concat(inputs, -1))
    assert [w.shape for w in ours.weights] == [w.shape for w in plain.weights]
    values = [rng.normal(size=w.shape).astype("float32") for w in plain.weights]
    ours.set_weights(values)
    plain.set_weights(values)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(inputs)
        y_ours, y_plain = ours(inputs), plain(tf.concat(inputs, -1))
        loss_ours, loss_plain = tf.reduce_sum(y_ours**2), tf.reduce_sum(y_plain**2)
    # Same products summed in another order: float32 rounding (measured at most 7.6e-6 over
    # 300 random layers, both paths); a wrong kernel slice or tap is off by O(1).
    np.testing.assert_allclose(y_ours.numpy(), y_plain.numpy(), atol=1e-4)
    # Gradients too, for every input: right also when the skip is trainable (fine-tuning).
    # Measured at most 9.2e-5 where gradients reach 962 (300 layers), i.e. 1e-7 relative.
    for a, b in zip(
        tape.gradient(loss_ours, inputs + ours.trainable_weights),
        tape.gradient(loss_plain, inputs + plain.trainable_weights),
    ):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("gemm", [True, False])
def test_the_filter_gradient_takes_the_matmul_of_patches_where_asked(gemm):
    """A decoder shape, stride 2: the kernel gradient is the matmul (no Conv2DBackpropFilter
    in the graph) only where `gemm_filter_gradient_is_faster` says, and equals TensorFlow's."""
    rng = np.random.default_rng(3)
    x, skip = (tf.constant(rng.normal(size=(2, 8, 8, c)), tf.float32) for c in (16, 24))
    layer = SkipConv2DTranspose(8, 3, strides=2, padding="same", use_bias=False)
    with mock.patch("unetcheck.reference.fast_layers.gemm_filter_gradient_is_faster", lambda: gemm):
        layer([x, skip])

        @tf.function
        def kernel_gradient(x, skip):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer([x, skip]) ** 2)
            return tape.gradient(loss, layer.kernel)

        graph = kernel_gradient.get_concrete_function(x, skip).graph
        gradient = kernel_gradient(x, skip).numpy()
    op_types = {op.type for op in graph.get_operations()}
    assert ("ExtractImagePatches" in op_types) is gemm
    assert ("Conv2DBackpropFilter" in op_types) is not gemm
    with tf.GradientTape() as tape:
        y = tf.nn.conv2d_transpose(tf.concat([x, skip], -1), layer.kernel, (2, 16, 16, 8), 2, "SAME")
        loss = tf.reduce_sum(y**2)
    # Float32 sums in another order: measured at most 1.7e-5 where the gradient reaches 89
    # (2e-7 of it); a wrong tap or padding moves whole products, O(1) or more.
    np.testing.assert_allclose(gradient, tape.gradient(loss, layer.kernel).numpy(), rtol=1e-5, atol=1e-4)


def _fake_machine(monkeypatch, onednn_on, cap, flags):
    """A CPU with `flags`, oneDNN capped at `cap` (None: no cap), TensorFlow's oneDNN on or off."""
    from unetcheck import hardware as devices
    from unetcheck.reference import onednn

    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    if cap is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    monkeypatch.setattr(devices, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(onednn, "onednn_enabled", lambda: onednn_on)


def test_the_matmul_filter_gradient_leaves_inputs_of_unknown_size_to_tensorflow():
    """Its padding needs the spatial size; a model on inputs of any size still trains."""
    inputs = [keras.Input((None, None, 4)), keras.Input((None, None, 2))]
    layer = SkipConv2DTranspose(3, 3, strides=2, padding="same")
    model = keras.Model(inputs, layer(inputs))
    spec = [tf.TensorSpec((None, None, None, c)) for c in (4, 2)]

    @tf.function(input_signature=spec)  # traced with the spatial size unknown, as fit on such data
    def kernel_gradient(x, skip):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model([x, skip]) ** 2)
        return tape.gradient(loss, layer.kernel)

    with mock.patch("unetcheck.reference.fast_layers.gemm_filter_gradient_is_faster", lambda: True):
        assert kernel_gradient(tf.ones((1, 5, 5, 4)), tf.ones((1, 5, 5, 2))).shape == (3, 3, 3, 6)


@pytest.mark.parametrize(
    "enabled, cap, flags, expected",
    [
        (True, None, {"avx2", "fma"}, True),
        (True, "AVX2", {"avx2", "avx512f"}, True),
        (True, None, {"avx2", "avx512f"}, False),
        (False, None, {"avx2", "fma"}, False),
    ],
    ids=["avx2_onednn", "capped_at_avx2", "avx512", "avx2_eigen"],
)
def test_the_matmul_filter_gradient_is_taken_where_onednn_runs_avx2(monkeypatch, enabled, cap, flags, expected):
    """Measured (docs/performance.md): oneDNN's AVX2 backward-weights kernel at a third of a
    matmul's rate; its AVX-512 one faster than the matmul form; Eigen's not measured."""
    from unetcheck.reference.fast_layers import gemm_filter_gradient_is_faster

    _fake_machine(monkeypatch, enabled, cap, flags)
    assert gemm_filter_gradient_is_faster() is expected


def test_skip_conv_rejects_inputs_it_was_not_built_for():
    layer = SkipConv2DTranspose(2, 3, strides=2, padding="same")
    layer([tf.zeros((1, 4, 4, 3)), tf.zeros((1, 4, 4, 5))])
    with pytest.raises(ValueError, match=r"built for input channels \[3, 5\]"):
        layer([tf.zeros((1, 4, 4, 5)), tf.zeros((1, 4, 4, 3))])
    with pytest.raises(ValueError, match="share their spatial dimensions"):
        SkipConv2DTranspose(2, 3)([tf.zeros((1, 4, 4, 3)), tf.zeros((1, 2, 2, 5))])


def _numpy_batchnorm(x, gamma, beta, mean, var, eps):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


@pytest.fixture
def fused_kernel(monkeypatch):
    """The fused kernel taken wherever the layer can (on every CPU, AVX2 too, where it is only slower)."""
    monkeypatch.setattr("unetcheck.reference.fast_layers.fused_kernel_is_faster", lambda: True)


def test_fused_batchnorm_trains_and_infers_as_batchnorm_defines(fused_kernel):
    """Against NumPy: batch statistics in training, the moving-average rule with the
    biased batch variance (Keras's; the fused op returns the unbiased one), moving
    statistics at inference."""
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(3, 4, 5, 6)) * 2 + 1).astype("float32")
    layer = FusedBatchNormalization(momentum=0.9, epsilon=1e-3)
    layer.build(x.shape)
    gamma, beta = rng.normal(size=6).astype("float32"), rng.normal(size=6).astype("float32")
    moving_mean, moving_var = rng.normal(size=6).astype("float32"), rng.uniform(1, 2, 6).astype("float32")
    layer.set_weights([gamma, beta, moving_mean, moving_var])
    assert layer._fusable(tf.constant(x), None)

    y = layer(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))  # biased, over 60 values
    # float32 statistics of 60 values ~N(1, 4): relative rounding ~1e-6.
    np.testing.assert_allclose(y, _numpy_batchnorm(x, gamma, beta, mean, var, 1e-3), atol=1e-5)
    new_mean, new_var = (w.numpy() for w in (layer.moving_mean, layer.moving_variance))
    np.testing.assert_allclose(new_mean, 0.9 * moving_mean + 0.1 * mean, atol=1e-6)
    # Unbiased variance would be 60/59 = 1.7% larger: 0.1 * 4 * 0.017 ~ 7e-3 off.
    np.testing.assert_allclose(new_var, 0.9 * moving_var + 0.1 * var, atol=1e-5)

    y = layer(x, training=False).numpy()
    np.testing.assert_allclose(y, _numpy_batchnorm(x, gamma, beta, new_mean, new_var, 1e-3), atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, mask",
    [
        ({"synchronized": True}, None),
        ({"epsilon": 1e-6}, None),  # TensorFlow's fused op would raise it to 1.001e-5
        ({}, np.ones((2, 3, 3), bool)),
        ({"axis": 1}, None),
    ],
)
def test_fused_batchnorm_falls_back_where_the_fused_op_differs(kwargs, mask, fused_kernel):
    x = np.random.default_rng(1).normal(size=(2, 3, 3, 4)).astype("float32")
    fused, plain = FusedBatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    assert not fused._fusable(tf.constant(x), mask)
    np.testing.assert_array_equal(
        fused(x, training=True, mask=mask).numpy(), plain(x, training=True, mask=mask).numpy()
    )


@pytest.mark.parametrize(
    "enabled, cap, flags, expected",
    [
        (True, None, {"avx2", "avx512f"}, True),
        (True, "AVX512_CORE", {"avx512f"}, True),
        (True, "avx2", {"avx2", "avx512f"}, False),
        (True, None, {"avx2", "fma"}, True),
        (True, "AVX2_VNNI_2", {"avx512f"}, False),
        (True, "ALL", {"avx512f"}, True),
        (False, None, {"avx2", "fma"}, False),
        (False, None, {"avx2", "avx512f"}, False),
    ],
    ids=[
        "avx512",
        "capped_at_avx512",
        "capped_at_avx2",
        "avx2_cpu",
        "capped_at_avx2_vnni_2",
        "all",
        "avx2_cpu_eigen",
        "avx512_eigen",
    ],
)
def test_the_fused_kernel_is_taken_where_onednn_runs_and_is_not_capped_below_avx512(
    monkeypatch, enabled, cap, flags, expected
):
    """Measured (docs/performance.md): faster with oneDNN's AVX-512 kernels and with its AVX2
    kernels on an AVX2 CPU, slower under an AVX2 cap on an AVX-512 CPU, no faster with Eigen's."""
    from unetcheck.reference.fast_layers import fused_kernel_is_faster

    _fake_machine(monkeypatch, enabled, cap, flags)
    assert fused_kernel_is_faster() is expected


@pytest.fixture(scope="module")
def tutorial_and_fused():
    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).uniform(size=(8, 64, 64, 3)).astype("float32")
    tutorial = calibrate_encoder(unet_model(input_size=64), images)
    fused = unet_model(input_size=64, fast=True)
    fused.set_weights(tutorial.get_weights())
    return tutorial, fused, images


def test_fused_model_has_the_tutorial_weights_in_order(tutorial_and_fused):
    tutorial, fused, _ = tutorial_and_fused
    assert [w.shape for w in fused.weights] == [w.shape for w in tutorial.weights]
    assert [w.shape for w in fused.trainable_weights] == [w.shape for w in tutorial.trainable_weights]
    assert not fused.get_layer("encoder").trainable
    # Only the 3-filter last layer (27 taps < 64 + 96 input channels) goes through its taps.
    taps = {layer.name: layer.through_taps for layer in fused.layers if isinstance(layer, SkipConv2DTranspose)}
    assert taps == {
        "upsample_1_conv": False,
        "upsample_2_conv": False,
        "upsample_3_conv": False,
        "upsample_4_conv": False,
        "logits": True,
    }


def test_to_stock_gives_the_stock_graph_with_the_same_weights(tutorial_and_fused):
    tutorial, fused, images = tutorial_and_fused
    stock = to_stock(fused)
    assert [type(layer) for layer in stock.layers] == [type(layer) for layer in tutorial.layers]
    for a, b in zip(stock.get_weights(), tutorial.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(stock(images, training=False).numpy(), tutorial(images, training=False).numpy())
    with pytest.raises(ValueError, match="is not a unet_model"):
        to_stock(keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(3, 1)]))


def test_fused_model_computes_the_tutorial_function(tutorial_and_fused):
    tutorial, fused, images = tutorial_and_fused
    # Inference: rounding only (measured 1.3e-6 at logit scale 2.7).
    np.testing.assert_allclose(
        fused(images, training=False).numpy(), tutorial(images, training=False).numpy(), atol=2e-5
    )
    # Training mode divides by the decoder's batch standard deviation over 8 images,
    # which amplifies rounding (measured 2.4e-5 at scale 3.2). It also moves the decoder's
    # moving statistics: the shared models get their weights back for the other tests.
    saved = tutorial.get_weights(), fused.get_weights()
    try:
        np.testing.assert_allclose(
            fused(images, training=True).numpy(), tutorial(images, training=True).numpy(), atol=2e-4
        )
    finally:
        tutorial.set_weights(saved[0])
        fused.set_weights(saved[1])


def test_fused_training_step_skips_the_frozen_skips_input_gradients():
    """Executed Conv2D FLOPs of a training step at 32x32 (a transposed convolution's input
    gradient is a Conv2D): the tutorial's graph minus ours equals, from the layer shapes,
    the input gradients of the first three concatenated frozen skips, 2 * (input pixels)
    * skip channels * filters * 9 each, and for the last layer (3 filters, computed
    through its 27 taps) the difference between a Conv2D to all 64 + 96 input channels and
    one to the 27 tap channels (its decoder input's gradient is then a MatMul, not counted).
    The encoder's forward Conv2Ds are in both."""
    skips = [(2 * 2, 576, 256), (4 * 4, 192, 128), (8 * 8, 144, 64)]
    expected = sum(2 * pixels * channels * filters * 9 for pixels, channels, filters in skips)
    expected += 2 * (16 * 16) * (64 + 96 - 27) * 3 * 9
    saved = (
        model_flops(32, op_types=("Conv2D",), passes=("train",))["train"]
        - model_flops(32, fast=True, op_types=("Conv2D",), passes=("train",))["train"]
    )
    assert saved == expected
