"""A Keras team's segmentation pipeline, keras.io style: its own U-Net-like model (separable
convolutions, residuals, a softmax head, a frozen `encoder` stem) and Keras 3's own paired
augmentation. It trains on pet and background alone: the trimap's border band is void
(`ignore_class=255` in the loss), and each pixel is weighted by its class through
`sample_weight`, as the tutorial's `add_sample_weights` does.

The switches below are the mistakes unetcheck's checks catch; `mistakes.py` says which check
each one fails.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf

SIZE = 32
# The planted mistakes examples/harness switches on: a JSON object {SWITCH: value}.
PLANTED = json.loads(os.environ.get("PLANTED_MISTAKES", "{}"))
MASK_RESIZE = PLANTED.pop("MASK_RESIZE", "nearest")  # "bilinear" invents labels along every edge
SHIFT_LABELS = True  # Oxford trimaps are 1..3; the model's classes are 0..2
PAIRED_FLIP = PLANTED.pop("PAIRED_FLIP", True)  # one RandomFlip on {"images", "segmentation_masks"}, not one per tensor
SOFTMAX_HEAD = PLANTED.pop("SOFTMAX_HEAD", True)  # the loss below is told from_logits=False
FREEZE_ENCODER = PLANTED.pop("FREEZE_ENCODER", True)  # the stem keeps its weights and statistics
IGNORE_VOID = PLANTED.pop("IGNORE_VOID", True)  # the loss leaves the void border band out
REPEAT = PLANTED.pop("REPEAT", True)  # fit(steps_per_epoch=...) needs data that does not run out
CLASS_WEIGHTS = PLANTED.pop("CLASS_WEIGHTS", [1.0, 1.0])  # pet, background: both must count
if PLANTED:
    raise ValueError(f"pipeline.py has no switch {sorted(PLANTED)}")


def preprocess(datapoint: dict) -> tuple[tf.Tensor, tf.Tensor]:
    """A TFDS-style example -> (image in [0, 1], mask of class ids)."""
    image = tf.image.resize(datapoint["image"], (SIZE, SIZE)) / 255.0
    mask = tf.image.resize(datapoint["segmentation_mask"], (SIZE, SIZE), method=MASK_RESIZE)
    return image, (mask - 1 if SHIFT_LABELS else mask)


VOID = 255  # the trimap's border band ("not classified"): no class to learn


def void_border(image: tf.Tensor, mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Classes 0 (pet) and 1 (background); the border band, class 2 after `preprocess`, void."""
    return image, tf.where(mask == 2, tf.constant(VOID, mask.dtype), mask)


def add_sample_weights(image: tf.Tensor, mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """The tutorial's per-pixel class weights (normalized to sum 1), void pixels weighted 0."""
    class_weights = tf.constant(CLASS_WEIGHTS, tf.float32)
    class_weights = class_weights / tf.reduce_sum(class_weights)
    labelled = mask != VOID
    weights = tf.gather(class_weights, tf.cast(tf.where(labelled, mask, tf.zeros_like(mask)), tf.int32))
    return image, mask, tf.where(labelled, weights, 0.0)


def training_batches(examples: tf.data.Dataset, batch_size: int = 8) -> tf.data.Dataset:
    """TFDS-style examples -> repeating (images, masks, sample weights) batches for `fit`."""
    batches = examples.map(preprocess).map(void_border).batch(batch_size).map(add_sample_weights)
    return batches.repeat() if REPEAT else batches


def augmentation(seed: int = 0):
    """Called as `augment({"images": ..., "segmentation_masks": ...})` on a batch."""
    flip = keras.layers.RandomFlip("horizontal", seed=seed)
    if PAIRED_FLIP:
        return lambda batch: flip(batch, training=True)
    mask_flip = keras.layers.RandomFlip("horizontal", seed=seed + 1)
    return lambda batch: {
        "images": flip(batch["images"], training=True),  # the bug: two decisions
        "segmentation_masks": mask_flip(batch["segmentation_masks"], training=True),
    }


def build_model(classes: int = 2) -> keras.Model:
    """keras.io's U-Net-like model, scaled down: separable convolutions with residuals, its
    first block a frozen `encoder` (as the tutorial freezes its MobileNetV2).

    BatchNorm momentum 0.9 (Keras's default is 0.99), so that the moving statistics a model
    is evaluated with catch up within a short training test.
    """
    inputs = keras.Input((SIZE, SIZE, 3))
    stem = keras.layers.Conv2D(16, 3, strides=2, padding="same", name="stem_conv")(inputs)
    stem = keras.layers.Activation("relu")(keras.layers.BatchNormalization(momentum=0.9, name="stem_bn")(stem))
    encoder = keras.Model(inputs, stem, name="encoder")
    encoder.trainable = not FREEZE_ENCODER
    x = residual = encoder(inputs)
    for filters in (32, 64):
        x = keras.layers.SeparableConv2D(filters, 3, padding="same")(keras.layers.Activation("relu")(x))
        x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same")(x)
        shortcut = keras.layers.Conv2D(filters, 1, strides=2, padding="same")(residual)
        x = residual = keras.layers.add([x, shortcut])
    for filters in (64, 32, 16):
        x = keras.layers.Conv2DTranspose(filters, 3, padding="same")(keras.layers.Activation("relu")(x))
        x = keras.layers.UpSampling2D(2)(keras.layers.BatchNormalization(momentum=0.9)(x))
        shortcut = keras.layers.Conv2D(filters, 1, padding="same")(keras.layers.UpSampling2D(2)(residual))
        x = residual = keras.layers.add([x, shortcut])
    outputs = keras.layers.Conv2D(classes, 3, padding="same", activation="softmax" if SOFTMAX_HEAD else None)(x)
    model = keras.Model(inputs, outputs)
    loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=VOID if IGNORE_VOID else None)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss, metrics=["accuracy"])
    return model
