"""The U-Net: the tutorial's layer graph in stock Keras, against its published figures; frozen
encoder; a saved model that loads without unetcheck; bad input."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.paths import FIXTURES
from unetcheck import ENCODER_TAPS, build_encoder, calibrate_encoder, unet_model, upsample
from unetcheck.checks import snapshot


def _count(weights) -> int:
    return int(sum(np.prod(w.shape) for w in weights))


def _dims(shape) -> str:
    return "x".join(str(d) for d in shape)


@pytest.fixture(scope="module")
def model_128():
    keras.utils.set_random_seed(0)
    return unet_model(output_channels=3, input_size=128)


def test_structure_matches_the_tutorial(model_128, unetcheck_golden):
    encoder = model_128.get_layer("encoder")
    data = {
        "encoder_taps": [
            {"name": name, "shape": _dims(out.shape[1:])} for name, out in zip(ENCODER_TAPS, encoder.outputs)
        ],
        "output_shape": _dims(model_128.output.shape[1:]),
        "total_params": int(model_128.count_params()),
        "trainable_params": _count(model_128.trainable_weights),
        "non_trainable_params": _count(model_128.non_trainable_weights),
    }
    unetcheck_golden.check_data(data, FIXTURES / "model_structure.yml")


def test_the_default_model_is_the_tutorials_layer_graph(model_128, unetcheck_golden):
    def shape(output):
        outputs = output if isinstance(output, (list, tuple)) else [output]
        return ",".join(_dims(o.shape[1:]) for o in outputs)

    data = {
        "layers": [
            {"type": type(layer).__name__, "output": shape(layer.output), "params": int(layer.count_params())}
            for layer in model_128.layers
        ],
        "upsample_block": [type(layer).__name__ for layer in model_128.layers[2].layers],
    }
    unetcheck_golden.check_data(data, FIXTURES / "model_layers.yml")
    # Only stock Keras classes: a saved model needs nothing of unetcheck to load (the main
    # job's model.keras is loaded where unetcheck cannot be imported: tests/job/test_cli.py).
    classes = {type(layer).__module__.split(".")[0] for layer in model_128._flatten_layers()}
    assert classes == {"keras"}, classes


def test_encoder_is_frozen_and_decoder_trainable(model_128):
    encoder = model_128.get_layer("encoder")
    assert not encoder.trainable and not encoder.trainable_weights
    decoder = [layer for layer in model_128.layers if layer is not encoder]
    assert all(w.trainable for layer in decoder for w in layer.weights if "moving" not in w.path)
    # Every trainable weight of the model sits outside the encoder.
    encoder_ids = {id(w) for w in encoder.weights}
    assert not any(id(w) in encoder_ids for w in model_128.trainable_weights)


@pytest.mark.parametrize("size", [32, 64, 96, 160])
def test_output_shape_for_other_sizes(size):
    model = unet_model(output_channels=5, input_size=size)
    out = model(np.zeros((2, size, size, 3), np.float32))
    assert tuple(out.shape) == (2, size, size, 5)


@pytest.mark.parametrize("size", [0, 16, 31, 48, 100, 128.0])
def test_sizes_the_encoder_cannot_take(size):
    with pytest.raises(ValueError, match="input_size"):
        unet_model(input_size=size)


def test_bad_output_channels_and_filters():
    with pytest.raises(ValueError, match="output_channels"):
        unet_model(output_channels=0, input_size=32)
    with pytest.raises(ValueError, match="decoder_filters needs 4 entries"):
        unet_model(input_size=32, decoder_filters=(64, 32))


def test_upsample_is_the_pix2pix_block():
    block = upsample(16, 3, apply_dropout=True)
    kinds = [type(layer).__name__ for layer in block.layers]
    assert kinds == ["Conv2DTranspose", "BatchNormalization", "Dropout", "ReLU"]
    conv = block.layers[0]
    assert (conv.filters, conv.kernel_size, conv.strides, conv.padding, conv.use_bias) == (
        16,
        (3, 3),
        (2, 2),
        "same",
        False,
    )
    init = conv.kernel_initializer
    assert isinstance(init, keras.initializers.RandomNormal) and (init.mean, init.stddev) == (0.0, 0.02)
    assert block.layers[2].rate == 0.5
    out = block(np.ones((1, 4, 4, 2), np.float32))
    assert tuple(out.shape) == (1, 8, 8, 16) and float(np.min(out)) >= 0.0
    instance_norm = upsample(8, 3, norm_type="instancenorm").layers[1]
    assert type(instance_norm).__name__ == "GroupNormalization"
    with pytest.raises(ValueError, match="norm_type"):
        upsample(8, 3, norm_type="layernorm")


def _numpy_conv_transpose(x, kernel):
    """Stride-2 "same" transposed convolution from its definition: each input pixel (i, j)
    adds its kernel-weighted copy at (2i + di, 2j + dj); TensorFlow's "same" crops the
    last row and column (the forward convolution pads 0 before, 1 after)."""
    n, h, w, _ = x.shape
    kh, kw, filters, _ = kernel.shape  # Keras's Conv2DTranspose kernel: (kh, kw, filters, in)
    full = np.zeros((n, 2 * h + kh - 2, 2 * w + kw - 2, filters))
    for di in range(kh):
        for dj in range(kw):
            full[:, di : di + 2 * h : 2, dj : dj + 2 * w : 2] += x @ kernel[di, dj].T
    return full[:, : 2 * h, : 2 * w]


def test_upsample_computes_pix2pix_from_its_definition():
    """tensorflow-examples is not on the package index, so pix2pix's block is checked against
    its definition in NumPy: transposed convolution, BatchNorm (inference), ReLU."""
    rng = np.random.default_rng(0)
    block = upsample(5, 3, apply_dropout=True)
    x = rng.normal(size=(2, 4, 3, 6)).astype(np.float32)
    block(x)
    kernel = rng.normal(size=(3, 3, 5, 6)).astype(np.float32)
    gamma, beta, mean = (rng.normal(size=5).astype(np.float32) for _ in range(3))
    var = rng.uniform(0.5, 2.0, 5).astype(np.float32)
    block.set_weights([kernel, gamma, beta, mean, var])
    norm = block.layers[1]
    expected = np.maximum(0.0, (_numpy_conv_transpose(x, kernel) - mean) / np.sqrt(var + norm.epsilon) * gamma + beta)
    # float32 sums of 54 products against float64: measured 4.6e-7 at values up to 7.4;
    # a shifted crop or a flipped kernel is off by 7-8, an epsilon of 1e-5 for 1e-3 by 2.3e-3.
    np.testing.assert_allclose(np.asarray(block(x, training=False)), expected, rtol=0, atol=1e-5)


def test_weights_file_round_trip(tmp_path):
    keras.utils.set_random_seed(1)
    # A file like Keras's ..._no_top.h5: the whole headless MobileNetV2's weights.
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None)
    path = tmp_path / "mobilenet_v2_no_top.weights.h5"
    base.save_weights(path)
    source = keras.Model(base.input, [base.get_layer(n).output for n in ENCODER_TAPS])
    loaded = build_encoder(32, weights=path)
    for a, b in zip(source.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not loaded.trainable


def test_missing_or_bad_weights_file(tmp_path):
    with pytest.raises(ValueError, match="no file at"):
        unet_model(input_size=32, weights=tmp_path / "absent.h5")
    bad = tmp_path / "bad.weights.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="could not load MobileNetV2"):
        unet_model(input_size=32, weights=bad)


def test_imagenet_without_network_says_how_to_provide_the_file(monkeypatch):
    real = keras.applications.MobileNetV2

    def offline(*args, weights=None, **kwargs):
        if weights == "imagenet":
            raise OSError("URL fetch failure: no network")
        return real(*args, weights=weights, **kwargs)

    monkeypatch.setattr(keras.applications, "MobileNetV2", offline)
    with pytest.raises(ValueError, match=r"no_top\.h5.*~/\.keras/models/.*weights=PATH"):
        unet_model(input_size=128, weights="imagenet")
    with pytest.raises(ValueError, match="ImageNet weights of MobileNetV2 exist for input sizes"):
        unet_model(input_size=64, weights="imagenet")


def test_calibrate_encoder_sets_only_batchnorm_statistics():
    keras.utils.set_random_seed(2)
    model = unet_model(input_size=32)
    images = np.random.default_rng(0).uniform(size=(4, 32, 32, 3)).astype(np.float32)
    encoder = model.get_layer("encoder")
    before = snapshot(encoder)
    deepest_before = float(np.std(np.asarray(encoder(images)[-1])))
    calibrate_encoder(model, images)
    after = snapshot(encoder)
    changed = {path for path in before if not np.array_equal(after[path], before[path])}
    assert changed and all("moving_" in path for path in changed)
    assert not encoder.trainable
    # Random frozen BatchNorm makes features vanish; calibrated ones are unit scale.
    deepest_after = float(np.std(np.asarray(encoder(images)[-1])))
    assert deepest_before < 1e-6 < 0.1 < deepest_after
