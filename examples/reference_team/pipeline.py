"""A team that builds on the reference: unetcheck's U-Net at its own size, its own loader and
flip, tested against unetcheck (see tests/).

The four switches below are the mistakes unetcheck's checks exist to catch; `mistakes.py`
says which check each one fails.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf

import unetcheck

SIZE = 32
# The planted mistakes examples/harness switches on: a JSON object {SWITCH: value}.
PLANTED = json.loads(os.environ.get("PLANTED_MISTAKES", "{}"))
MASK_RESIZE = PLANTED.pop("MASK_RESIZE", "nearest")  # the tutorial's old text resized masks bilinearly
SHIFT_LABELS = PLANTED.pop("SHIFT_LABELS", True)  # Oxford trimaps are 1..3; the model's classes are 0..2
PAIRED_FLIP = PLANTED.pop("PAIRED_FLIP", True)  # one flip decision for image and mask
FREEZE_ENCODER = PLANTED.pop("FREEZE_ENCODER", True)  # the tutorial trains only the decoder
if PLANTED:
    raise ValueError(f"pipeline.py has no switch {sorted(PLANTED)}")


def preprocess(datapoint: dict) -> tuple[tf.Tensor, tf.Tensor]:
    """Our loader: a TFDS-style example -> (image in [0, 1], mask of class ids)."""
    image = tf.image.resize(datapoint["image"], (SIZE, SIZE)) / 255.0
    mask = tf.image.resize(datapoint["segmentation_mask"], (SIZE, SIZE), method=MASK_RESIZE)
    if SHIFT_LABELS:
        mask = mask - 1
    return image, mask


class Flip(keras.layers.Layer):
    """Our augmentation: random horizontal flips of (images, masks) batches."""

    def __init__(self, seed: int = 1) -> None:
        super().__init__()
        self.images = keras.layers.RandomFlip("horizontal", seed=seed)
        # Independent draws when unpaired: the bug the tutorial's two layers invite.
        self.masks = self.images if PAIRED_FLIP else keras.layers.RandomFlip("horizontal", seed=seed + 1)

    def call(self, images, masks):
        if PAIRED_FLIP:
            both = self.images(keras.ops.concatenate([images, keras.ops.cast(masks, images.dtype)], -1))
            return both[..., :-1], keras.ops.cast(both[..., -1:], masks.dtype)
        return self.images(images), keras.ops.cast(self.masks(keras.ops.cast(masks, "float32")), masks.dtype)


def build_model() -> keras.Model:
    """Our model: the reference U-Net at our size, compiled as the tutorial does."""
    model = unetcheck.unet_model(output_channels=3, input_size=SIZE)
    model.get_layer("encoder").trainable = not FREEZE_ENCODER
    return unetcheck.compile_model(model)
