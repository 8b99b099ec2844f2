"""Masks for a user's own image files from a trained model."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from unetcheck.errors import InputError


def predict_files(model_path: str, image_paths: Sequence[str], out_dir: str) -> list[str]:
    """Writes `NAME_mask.png` (Oxford trimap values 1..3) and `NAME_overlay.png` per image.

    Each image is decoded to RGB, resized to the model's input size, predicted, and its
    mask resized back to the image's own size with nearest-neighbour.

    Raises:
      ValueError: a missing model or image file, or a file that is not an image.
    """
    import keras
    import tensorflow as tf

    from unetcheck.job.report import mask_to_rgb
    from unetcheck.reference.masks import create_mask

    if not os.path.isfile(model_path):
        raise InputError(f"no model file at {model_path!r}; train one with `unetcheck verify`")
    missing = [path for path in image_paths if not os.path.isfile(path)]
    if missing:  # before the model loads and any mask is written
        raise InputError(f"no image file at {', '.join(map(repr, missing))}")
    model = keras.models.load_model(model_path)
    size = int(model.input_shape[1])
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for path in image_paths:
        try:
            image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        except tf.errors.InvalidArgumentError as err:
            raise InputError(f"{path!r} is not a decodable image: {err.message.splitlines()[0]}") from err
        h, w = int(image.shape[0]), int(image.shape[1])
        batch = tf.image.resize(image, (size, size))[None] / 255.0
        # One image: predict_on_batch skips predict's per-call tf.data iterator and its
        # autotuner (docs/performance.md, "What makes it faster").
        mask = create_mask(model.predict_on_batch(batch))[0]
        mask = tf.image.resize(tf.cast(mask, tf.uint8), (h, w), method="nearest").numpy()
        stem = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0])
        tf.io.write_file(f"{stem}_mask.png", tf.io.encode_png(mask + 1))
        overlay = (0.5 * image.numpy() + 0.5 * mask_to_rgb(mask)).astype(np.uint8)
        tf.io.write_file(f"{stem}_overlay.png", tf.io.encode_png(overlay))
        written += [f"{stem}_mask.png", f"{stem}_overlay.png"]
    return written
