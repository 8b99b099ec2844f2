"""The tutorial's input pipeline exactly as its text writes it, defects included: the
baseline `unetcheck bench` measures the reference against."""

from __future__ import annotations

from typing import Any

import keras


class _LiteralAugment(keras.layers.Layer):
    """The tutorial's Augment: two RandomFlip layers with the same seed."""

    def __init__(self, seed: int = 42) -> None:
        super().__init__(name="literal_augment")
        self.augment_inputs = keras.layers.RandomFlip(mode="horizontal", seed=seed)
        self.augment_labels = keras.layers.RandomFlip(mode="horizontal", seed=seed)

    def call(self, inputs: Any, labels: Any) -> tuple[Any, Any]:
        return self.augment_inputs(inputs), self.augment_labels(labels)


def literal_pipeline(source: Any, size: int, batch_size: int) -> Any:
    """The tutorial's steps as written: bilinear mask resize, /255 and -1, cache, shuffle,
    batch, repeat, two seeded RandomFlips, prefetch."""
    import tensorflow as tf

    def load_image(datapoint: dict) -> tuple[Any, Any]:
        input_image = tf.image.resize(datapoint["image"], (size, size))
        input_mask = tf.image.resize(datapoint["segmentation_mask"], (size, size))
        input_image = tf.cast(input_image, tf.float32) / 255.0
        input_mask -= 1
        return input_image, input_mask

    return (
        source.split("train")
        .map(load_image, num_parallel_calls=tf.data.AUTOTUNE)
        .cache()
        .shuffle(1000)
        .batch(batch_size)
        .repeat()
        .map(_LiteralAugment())
        .prefetch(buffer_size=tf.data.AUTOTUNE)
    )
