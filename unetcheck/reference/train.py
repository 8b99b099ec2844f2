"""Compiling and training the U-Net as the tutorial does (Adam, sparse CE on logits)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import keras
import numpy as np

from unetcheck.checks import build_fit_state
from unetcheck.errors import InputError
from unetcheck.metrics import PerImageMetrics, per_image_metrics
from unetcheck.pets.trimaps import CLASS_NAMES, NUM_CLASSES
from unetcheck.reference.masks import create_mask
from unetcheck.reference.pipeline import Pipelines


def set_seed(seed: int) -> None:
    """Seeds Python, NumPy and the Keras backend (`keras.utils.set_random_seed`).

    Bitwise-repeatable training on TensorFlow also needs `deterministic_ops()`.
    """
    keras.utils.set_random_seed(seed)


@contextlib.contextmanager
def deterministic_ops() -> Iterator[None]:
    """Runs the enclosed TensorFlow ops deterministically, then restores the previous setting.

    TensorFlow's switch (`enable_op_determinism`) is process-wide and has no public way
    back; this scopes it, so that one caller's choice does not leak into the next. A
    no-op on other Keras backends.
    """
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config  # the only way to switch it back off

    was_on = tf_config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if not was_on:
            tf_config.disable_op_determinism()


def compile_model(model: keras.Model, learning_rate: float = 1e-3, **kwargs: Any) -> keras.Model:
    """Compiles with the tutorial's Adam, SparseCategoricalCrossentropy(from_logits) and accuracy.

    Adam's moments (for the weights trainable now) and the accuracy's counters are made here,
    so that `fit` traces its step once, not twice (`unetcheck.checks.build_fit_state`).
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        **kwargs,
    )
    pixel = np.zeros((1, 1, 1, 1), np.float32)  # one pixel of each is enough to build the metrics
    build_fit_state(model, pixel, pixel.astype(np.int32), np.zeros((1, 1, 1, model.output_shape[-1]), np.float32))
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
        raise InputError(f"epochs must be a positive int; got {epochs!r}")
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


def predict_per_image(
    model: keras.Model,
    batches: Any,
    names: Sequence[str] | None = None,
    num_classes: int = NUM_CLASSES,
    class_names: Sequence[str] | None = CLASS_NAMES,
    surface: bool = True,
    each_batch: Callable[..., None] | None = None,
) -> PerImageMetrics:
    """Per-image counts of `model`'s argmax masks over (images, masks, ...) batches, streamed one
    batch at a time, with the test set's fingerprint (its true masks and names).
    `each_batch(images, masks, predictions, names)` sees every batch (to write its masks)."""

    def predicted() -> Any:
        offset = 0
        for batch in batches:
            x, y = np.asarray(batch[0]), np.asarray(batch[1])
            pred = np.asarray(create_mask(model(x, training=False)))
            batch_names = (
                [str(offset + i) for i in range(len(x))] if names is None else list(names[offset : offset + len(x)])
            )
            if each_batch is not None:
                each_batch(x, y, pred, batch_names)
            yield y, pred, batch_names
            offset += len(x)

    return per_image_metrics(
        predicted(),
        num_classes=num_classes,
        class_names=class_names if num_classes == NUM_CLASSES else None,
        surface=surface,
    )


def predict_confusion(model: keras.Model, batches: Any, num_classes: int) -> np.ndarray:
    """The confusion matrix of `model`'s argmax masks over (image, mask, ...) batches."""
    confusion = predict_per_image(model, batches, num_classes=num_classes, surface=False).confusion
    return confusion.sum(0).astype(np.int64)
