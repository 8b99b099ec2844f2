"""Compiling and training the U-Net as the tutorial does (Adam, sparse CE on logits)."""

from __future__ import annotations

from typing import Any, Sequence

import keras
import numpy as np

from unetcheck.masks import create_mask
from unetcheck.metrics import confusion_matrix
from unetcheck.pipeline import Pipelines


def set_seed(seed: int) -> None:
    """Seeds Python, NumPy and the Keras backend, and makes TensorFlow ops deterministic."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def compile_model(model: keras.Model, learning_rate: float = 1e-3, **kwargs: Any) -> keras.Model:
    """Compiles with the tutorial's Adam, SparseCategoricalCrossentropy(from_logits) and accuracy."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        **kwargs,
    )
    return model


def train(
    model: keras.Model,
    pipelines: Pipelines,
    epochs: int,
    steps_per_epoch: int | None = None,
    validation_steps: int | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Fits a compiled `model` on `pipelines.train`, validating on part of `pipelines.test`.

    Step counts default to the tutorial's (`pipelines.steps_per_epoch`, `validation_steps`).
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int; got {epochs!r}")
    return model.fit(
        pipelines.train,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch or pipelines.steps_per_epoch,
        validation_data=pipelines.test,
        validation_steps=validation_steps or pipelines.validation_steps,
        callbacks=list(callbacks),
        verbose=verbose,
        shuffle=False,  # the pipeline shuffles; Keras ignores (and warns about) shuffle=True on tf.data
    )


def predict_confusion(model: keras.Model, batches: Any, num_classes: int) -> np.ndarray:
    """The confusion matrix of `model`'s argmax masks over (image, mask, ...) batches."""
    total = np.zeros((num_classes, num_classes), np.int64)
    for batch in batches:
        images, masks = batch[0], batch[1]
        pred = create_mask(model(images, training=False))
        total += confusion_matrix(np.asarray(masks), np.asarray(pred), num_classes)
    return total
