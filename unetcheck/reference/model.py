"""The tutorial's U-Net: a frozen MobileNetV2 encoder and pix2pix upsample blocks.

`unet_model()` builds the tutorial's own layer graph from stock Keras layers, so a saved
model loads wherever Keras does. `tensorflow-examples` (home of `pix2pix.upsample`) is not
on the package index, so the block is written here with the same layers, initializer and
defaults. `unet_model(fast=True)` is an opt-in: the same function and weights from the
faster layers of `unetcheck.reference.fast_layers`; `to_stock` turns it back.
"""

from __future__ import annotations

import os
from typing import Any

import keras

from unetcheck.errors import InputError

#: MobileNetV2 layers whose outputs feed the decoder, at 1/2, 1/4, 1/8, 1/16, 1/32 scale.
ENCODER_TAPS = (
    "block_1_expand_relu",
    "block_3_expand_relu",
    "block_6_expand_relu",
    "block_13_expand_relu",
    "block_16_project",
)
#: Filters of the four upsample blocks, deepest first (4x4 -> 8x8 ... 32x32 -> 64x64 at 128).
DECODER_FILTERS = (512, 256, 128, 64)
#: Input sizes for which Keras publishes ImageNet weights of MobileNetV2.
IMAGENET_SIZES = (96, 128, 160, 192, 224)


def upsample(
    filters: int, size: int, norm_type: str = "batchnorm", apply_dropout: bool = False, synchronized: bool = False
) -> keras.Sequential:
    """The pix2pix decoder block: Conv2DTranspose (stride 2) -> norm -> [Dropout] -> ReLU.

    Args:
      filters: output channels.
      size: kernel size.
      norm_type: "batchnorm" or "instancenorm", as in tensorflow_examples' pix2pix.
      apply_dropout: add `Dropout(0.5)` after the normalization.
      synchronized: BatchNorm statistics over the global batch under tf.distribute
        (TensorFlow backend), not per replica. pix2pix's block is per replica.

    Raises:
      ValueError: an unknown `norm_type`.
    """
    if norm_type not in ("batchnorm", "instancenorm"):
        raise InputError(f"norm_type must be 'batchnorm' or 'instancenorm'; got {norm_type!r}")
    block = keras.Sequential()
    block.add(_pix2pix_conv(keras.layers.Conv2DTranspose, filters, size))
    if norm_type == "batchnorm":
        block.add(keras.layers.BatchNormalization(synchronized=synchronized))
    else:
        # pix2pix's InstanceNormalization: per-example, per-channel, learned scale and offset.
        block.add(
            keras.layers.GroupNormalization(
                groups=-1, epsilon=1e-5, gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02)
            )
        )
    if apply_dropout:
        block.add(keras.layers.Dropout(0.5))
    block.add(keras.layers.ReLU())
    return block


def _pix2pix_conv(layer: type, filters: int, size: int, **kwargs: Any) -> keras.layers.Layer:
    """pix2pix's stride-2 transposed convolution: N(0, 0.02) kernel, no bias."""
    return layer(
        filters,
        size,
        strides=2,
        padding="same",
        use_bias=False,
        kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        **kwargs,
    )


def _check_input_size(input_size: int) -> None:
    if not isinstance(input_size, int) or isinstance(input_size, bool):
        raise InputError(f"input_size must be an int; got {input_size!r}")
    if input_size < 32 or input_size % 32:
        raise InputError(
            f"input_size {input_size} cannot be taken by the MobileNetV2 encoder: the U-Net "
            "downsamples 5 times and concatenates skips, so it must be a multiple of 32 "
            "and at least 32 (e.g. 32, 64, 128)"
        )


def build_encoder(input_size: int = 128, weights: str | os.PathLike | None = None) -> keras.Model:
    """MobileNetV2 cut at the five `ENCODER_TAPS`, frozen (`trainable = False`).

    Args:
      input_size: square input side, a multiple of 32.
      weights: None (random init, offline), "imagenet" (Keras download or its cache),
        or the path of a MobileNetV2 `include_top=False` weights file.

    Raises:
      ValueError: an input size the encoder cannot take, or weights that cannot be loaded.
    """
    _check_input_size(input_size)
    shape = (input_size, input_size, 3)
    if weights is None:
        base = keras.applications.MobileNetV2(input_shape=shape, include_top=False, weights=None)
    elif isinstance(weights, str) and weights == "imagenet":
        if input_size not in IMAGENET_SIZES:
            raise InputError(
                f"ImageNet weights of MobileNetV2 exist for input sizes {IMAGENET_SIZES}; got {input_size}"
            )
        try:
            base = keras.applications.MobileNetV2(input_shape=shape, include_top=False, weights="imagenet")
        except Exception as err:  # network failure surfaces as several exception types
            raise InputError(
                "could not load MobileNetV2 ImageNet weights (no network?). Download "
                f"'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{input_size}_no_top.h5' "
                "on a connected machine and put it in ~/.keras/models/, or pass its path "
                f"as weights=PATH. Cause: {type(err).__name__}: {err}"
            ) from err
    else:
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise InputError(f"weights must be None, 'imagenet' or the path of a weights file; no file at {path!r}")
        try:
            base = keras.applications.MobileNetV2(input_shape=shape, include_top=False, weights=path)
        except Exception as err:
            raise InputError(
                f"could not load MobileNetV2 (include_top=False, {input_size}x{input_size}) "
                f"weights from {path!r}: {type(err).__name__}: {str(err).splitlines()[0]}"
            ) from err
    encoder = keras.Model(
        inputs=base.input, outputs=[base.get_layer(name).output for name in ENCODER_TAPS], name="encoder"
    )
    encoder.trainable = False
    return encoder


def unet_model(
    output_channels: int = 3,
    input_size: int = 128,
    weights: str | os.PathLike | None = None,
    decoder_filters: tuple[int, ...] = DECODER_FILTERS,
    sync_batchnorm: bool = False,
    fast: bool = False,
    **kwargs: Any,
) -> keras.Model:
    """The tutorial's U-Net: frozen MobileNetV2 taps, pix2pix upsampling, skip concatenation.

    Outputs logits `(batch, input_size, input_size, output_channels)`. By default the
    tutorial's layer graph in stock Keras layers: the encoder model, then per skip a pix2pix
    `Sequential` block and a `Concatenate`, then the last `Conv2DTranspose`. With
    `fast=True`, the same function with the same weights in the same order, from faster
    layers (`unetcheck.reference.fast_layers`: each skip concatenation folded into the next
    transposed convolution, BatchNorm through TensorFlow's fused kernel); `to_stock` (or
    `set_weights`) moves the weights back to the stock graph.

    Args:
      output_channels: number of classes.
      input_size: square input side; a multiple of 32 (128 in the tutorial).
      weights: encoder weights, see `build_encoder`.
      decoder_filters: filters of the four upsample blocks, deepest first.
      sync_batchnorm: synchronize the decoder's BatchNorm across replicas (see `upsample`).
      fast: build the decoder from `SkipConv2DTranspose` and `FusedBatchNormalization`
        and the encoder with fused BatchNorm (an opt-in; the default is the tutorial's layers).
      **kwargs: passed to `keras.Model` (e.g. `name`).

    Raises:
      ValueError: a bad `output_channels`, `input_size`, `decoder_filters` or `weights`.
    """
    if not isinstance(output_channels, int) or output_channels < 1:
        raise InputError(f"output_channels must be a positive int; got {output_channels!r}")
    if len(decoder_filters) != len(ENCODER_TAPS) - 1:
        raise InputError(
            f"decoder_filters needs {len(ENCODER_TAPS) - 1} entries, one per skip; got {len(decoder_filters)}"
        )
    encoder = build_encoder(input_size, weights)
    inputs = keras.Input(shape=(input_size, input_size, 3), name="image")
    if fast:
        from unetcheck.reference.fast_layers import fuse_batchnorm

        encoder = fuse_batchnorm(encoder)
    skips = encoder(inputs)
    x = skips[-1]
    if fast:
        outputs = _fast_decoder(x, list(reversed(skips[:-1])), decoder_filters, output_channels, sync_batchnorm)
    else:
        for filters, skip in zip(decoder_filters, reversed(skips[:-1])):
            x = upsample(filters, 3, synchronized=sync_batchnorm)(x)
            x = keras.layers.Concatenate()([x, skip])
        # Last stride-2 transpose conv: input_size/2 -> input_size, one logit per class.
        outputs = keras.layers.Conv2DTranspose(output_channels, 3, strides=2, padding="same")(x)
    kwargs.setdefault("name", "unet")
    return keras.Model(inputs=inputs, outputs=outputs, **kwargs)


def _fast_decoder(
    x: Any, skips: list, decoder_filters: tuple[int, ...], output_channels: int, sync_batchnorm: bool
) -> Any:
    """The pix2pix blocks and final transposed conv with each concatenation folded into the
    next convolution: weights created in the tutorial's order and shapes."""
    from unetcheck.reference.fast_layers import FusedBatchNormalization, SkipConv2DTranspose

    pending_skip = None
    for index, (filters, skip) in enumerate(zip(decoder_filters, skips), start=1):
        conv = _pix2pix_conv(SkipConv2DTranspose, filters, 3, name=f"upsample_{index}_conv")
        x = conv(x if pending_skip is None else [x, pending_skip])
        x = FusedBatchNormalization(synchronized=sync_batchnorm, name=f"upsample_{index}_norm")(x)
        x = keras.layers.ReLU(name=f"upsample_{index}_relu")(x)
        pending_skip = skip
    return SkipConv2DTranspose(output_channels, 3, strides=2, padding="same", name="logits")([x, pending_skip])


def calibrate_encoder(model: keras.Model, images: Any) -> keras.Model:
    """Sets the frozen encoder's BatchNorm statistics from `images`; returns `model`.

    With `weights=None` the encoder is random and frozen, and its BatchNorm layers keep
    mean 0 / variance 1: activations then shrink about tenfold per stage (the deepest
    tap's std is ~1e-11 at 64x64), the decoder's BatchNorm sees ~zero at inference, and
    the model predicts one class. One training-mode pass with momentum 0 stores each
    layer's batch statistics, so the encoder normalizes as BatchNorm intends. No
    trainable weight changes. Call it before `compile`; not needed with ImageNet weights.

    Args:
      model: a `unet_model` (its layer named "encoder") or an encoder itself.
      images: a batch (B, H, W, 3) of float images in [0, 1], B >= 2.
    """
    encoder = model.get_layer("encoder") if "encoder" in [layer.name for layer in model.layers] else model
    norms = [layer for layer in encoder._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        raise InputError(f"model {model.name!r} has no BatchNormalization layer to calibrate")
    if len(images) < 2:
        raise InputError("calibrate_encoder needs a batch of at least 2 images")
    momenta = [layer.momentum for layer in norms]
    was_trainable = encoder.trainable
    encoder.trainable = True  # a frozen BatchNorm ignores training=True
    try:
        for layer in norms:
            layer.momentum = 0.0
        encoder(images, training=True)
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum
        encoder.trainable = was_trainable
    return model


def to_stock(model: keras.Model) -> keras.Model:
    """The stock-layer `unet_model` holding `model`'s weights (a `fast=True` model, typically).

    The result loads in any Keras installation, without unetcheck. Raises ValueError when
    `model` is not a `unet_model` (its weights do not fit the stock graph of its shape).
    """
    inputs, outputs = model.input_shape, model.output_shape
    stock = unet_model(output_channels=int(outputs[-1]), input_size=int(inputs[1]), name=model.name)
    try:
        stock.set_weights(model.get_weights())
    except ValueError as err:
        raise InputError(
            f"model {model.name!r} is not a unet_model: its weights do not fit the stock graph ({err})"
        ) from err
    return stock
