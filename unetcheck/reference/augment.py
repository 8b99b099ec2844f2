"""Paired random horizontal flip of images and masks.

The tutorial uses two `RandomFlip("horizontal", seed=42)` layers and trusts that they
flip alike; nothing guarantees that (keras-team/keras#17457), and Keras 3's RandomFlip
also casts a mask to float32. `Augment` draws one decision per example and applies it
to both tensors, keeping each tensor's dtype.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


def _flip_examples(batch: Any, flip: Any) -> Any:
    """`batch` (B, H, W, C) with the examples where `flip` (B,) is True mirrored left-right."""
    return ops.where(ops.reshape(flip, (-1, 1, 1, 1)), ops.flip(batch, axis=2), batch)


def _flip_examples_tf(batch: Any, flip: Any) -> Any:
    """`_flip_examples` in TensorFlow, moving the same values: reverses only the flipped
    examples and stitches the batch back in order: faster in tf.data than a broadcast
    `where` over the whole batch (docs/performance.md, "What makes it faster")."""
    import tensorflow as tf

    which = tf.cast(flip, tf.int32)
    positions = tf.dynamic_partition(tf.range(tf.shape(batch)[0]), which, 2)
    kept, mirrored = tf.dynamic_partition(batch, which, 2)
    return tf.dynamic_stitch(positions, [kept, tf.reverse(mirrored, [2])])


class Augment(keras.layers.Layer):
    """Flips each (image, mask) pair left-right together, with probability 1/2.

    Call as `augment(images, masks)` on a batch `(B, H, W, C)` or a single example
    `(H, W, C)`; returns `(images, masks)` of the same shapes and dtypes.
    The same `seed` gives the same sequence of decisions.
    """

    def __init__(self, seed: int = 42, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: Any, masks: Any) -> tuple[Any, Any]:
        images = ops.convert_to_tensor(images)
        masks = ops.convert_to_tensor(masks)
        rank = len(images.shape)
        if rank not in (3, 4) or len(masks.shape) != rank:
            raise ValueError(
                "Augment expects images and masks both of rank 4 (batch, height, width, "
                f"channels) or both of rank 3; got shapes {tuple(images.shape)} and "
                f"{tuple(masks.shape)}"
            )
        single = rank == 3
        if single:
            images, masks = images[None], masks[None]
        # Width is axis 2 of (B, H, W, C); one uniform draw per example decides both.
        flip = keras.random.uniform((ops.shape(images)[0],), seed=self.seed_generator) < 0.5
        flip_examples = _flip_examples_tf if keras.backend.backend() == "tensorflow" else _flip_examples
        images, masks = flip_examples(images, flip), flip_examples(masks, flip)
        if single:
            images, masks = images[0], masks[0]
        return images, masks

    def compute_output_spec(self, images: Any, masks: Any) -> tuple[Any, Any]:
        return (keras.KerasTensor(images.shape, images.dtype), keras.KerasTensor(masks.shape, masks.dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}
