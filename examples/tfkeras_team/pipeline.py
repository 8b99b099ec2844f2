"""A tf-keras team: the TensorFlow segmentation tutorial as written for Keras 2, which TF
2.16+ keeps as tf-keras under `TF_USE_LEGACY_KERAS=1`: `tf.data`, a frozen MobileNetV2
encoder (random weights here: nothing is downloaded), the pix2pix decoder, `fit`.

The switches below are real mistakes; `mistakes.py` says which check each one fails.
"""

from __future__ import annotations

import json
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf.keras is tf-keras (Keras 2); set before TensorFlow loads

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SIZE = 64
# The planted mistakes examples/harness switches on: a JSON object {SWITCH: value}.
PLANTED = json.loads(os.environ.get("PLANTED_MISTAKES", "{}"))
MASK_RESIZE = PLANTED.pop("MASK_RESIZE", "nearest")  # "bilinear" (the tutorial's old default) invents labels
FREEZE_ENCODER = PLANTED.pop("FREEZE_ENCODER", True)  # down_stack.trainable = False
SOFTMAX_HEAD = PLANTED.pop("SOFTMAX_HEAD", False)  # True ends in a softmax while the loss is told from_logits=True
LEARNING_RATE = PLANTED.pop("LEARNING_RATE", 1e-3)  # 0.0 trains nothing
if PLANTED:
    raise ValueError(f"pipeline.py has no switch {sorted(PLANTED)}")
ENCODER_TAPS = [
    "block_1_expand_relu",
    "block_3_expand_relu",
    "block_6_expand_relu",
    "block_13_expand_relu",
    "block_16_project",
]


def load_image(datapoint: dict) -> tuple[tf.Tensor, tf.Tensor]:
    """The tutorial's `load_image`: resize, image / 255, trimap 1..3 -> 0..2."""
    image = tf.image.resize(datapoint["image"], (SIZE, SIZE))
    mask = tf.image.resize(datapoint["segmentation_mask"], (SIZE, SIZE), method=MASK_RESIZE)
    return tf.cast(image, tf.float32) / 255.0, mask - 1


def dataset(examples: list[dict], batch_size: int = 8) -> tf.data.Dataset:
    """Batches of (image, mask), as the tutorial builds them from TFDS."""
    signature = {
        "image": tf.TensorSpec((None, None, 3), tf.uint8),
        "segmentation_mask": tf.TensorSpec((None, None, 1), tf.uint8),
    }
    pairs = tf.data.Dataset.from_generator(
        lambda: ({"image": e["image"], "segmentation_mask": e["segmentation_mask"]} for e in examples),
        output_signature=signature,
    )
    return pairs.map(load_image).cache().batch(batch_size)


def upsample(filters: int, size: int) -> tf.keras.Sequential:
    """pix2pix's upsample block: transposed convolution, BatchNorm, ReLU."""
    return tf.keras.Sequential(
        [
            tf.keras.layers.Conv2DTranspose(
                filters,
                size,
                strides=2,
                padding="same",
                kernel_initializer=tf.random_normal_initializer(0.0, 0.02),
                use_bias=False,
            ),
            tf.keras.layers.BatchNormalization(),
            tf.keras.layers.ReLU(),
        ]
    )


def stand_in_for_imagenet(encoder: tf.keras.Model, seed: int) -> None:
    """Random MobileNetV2 weights with BatchNorm statistics set from one batch of noise.

    ImageNet weights cannot be downloaded offline; a random encoder with BatchNorm left at
    mean 0 / variance 1 shrinks its features to nothing, and the decoder then learns
    nothing. One training-mode pass with momentum 0 gives each BatchNorm its batch's
    statistics, as pretrained ones would be."""
    norms = [layer for layer in encoder.layers if isinstance(layer, tf.keras.layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    encoder(tf.random.stateless_uniform((8, SIZE, SIZE, 3), seed=(seed, 0)), training=True)
    for layer in norms:
        layer.momentum = 0.999  # MobileNetV2's


def unet_model(output_channels: int = 3, seed: int = 0) -> tf.keras.Model:
    tf.keras.utils.set_random_seed(seed)
    base = tf.keras.applications.MobileNetV2(input_shape=[SIZE, SIZE, 3], include_top=False, weights=None)
    down_stack = tf.keras.Model(base.input, [base.get_layer(name).output for name in ENCODER_TAPS], name="encoder")
    stand_in_for_imagenet(down_stack, seed)
    down_stack.trainable = not FREEZE_ENCODER
    inputs = tf.keras.layers.Input(shape=[SIZE, SIZE, 3])
    *skips, x = down_stack(inputs)
    for up, skip in zip([upsample(512, 3), upsample(256, 3), upsample(128, 3), upsample(64, 3)], reversed(skips)):
        x = tf.keras.layers.Concatenate()([up(x), skip])
    x = tf.keras.layers.Conv2DTranspose(output_channels, 3, strides=2, padding="same")(x)
    if SOFTMAX_HEAD:
        x = tf.keras.layers.Softmax()(x)
    model = tf.keras.Model(inputs, x)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(LEARNING_RATE),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def first_batch(batches: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    images, masks = next(iter(batches))
    return images.numpy(), masks.numpy()
