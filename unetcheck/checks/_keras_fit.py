"""Driving a compiled Keras model (Keras 3 or tf-keras) the way `fit` and `evaluate` do, for the
training checks: its optimizer and metric state built ahead, steps run through `fit`, the
compiled loss computed eagerly. The one place the checks call Keras's training machinery."""

from __future__ import annotations

import contextlib
import inspect
import sys
from typing import Any

from unetcheck.checks._core import framework_of, to_numpy


def is_keras_model(obj: Any) -> bool:
    return hasattr(obj, "fit") and hasattr(obj, "evaluate") and hasattr(obj, "compile")


def first_batch(data: Any) -> tuple[Any, Any]:
    if isinstance(data, tuple) and len(data) >= 2:
        return data[0], data[1]
    batch = next(iter(data))
    return batch[0], batch[1]


def as_model_tensors(model: Any, *arrays: Any) -> tuple[Any, ...]:
    """`arrays` as tensors where the model's Keras wants them: tf-keras's compiled losses and
    metrics read TensorFlow shapes; Keras 3 takes any array."""
    if framework_of(model) != "tf_keras":
        return arrays
    return tuple(sys.modules["tensorflow"].convert_to_tensor(to_numpy(a)) for a in arrays)


def build_fit_state(model: Any, images: Any, masks: Any, predictions: Any) -> None:
    """Makes a compiled Keras model's optimizer and metric variables now, as `fit` would.

    Made inside `fit`'s first trace instead, they make TensorFlow trace the whole training
    step a second time (tensorflow/tensorflow#48851). One batch (any size; `predictions`
    the model's output on `images`) builds the metrics, which are then reset.

    Example:

    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(3, 1)])
    >>> model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    >>> images, masks = np.zeros((2, 4, 4, 3)), np.zeros((2, 4, 4, 1))
    >>> build_fit_state(model, images, masks, model(images))
    >>> model.optimizer.built
    True
    """
    images, masks, predictions = as_model_tensors(model, images, masks, predictions)
    strategy = getattr(model, "distribute_strategy", None)  # TensorFlow: variables belong to its scope
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        optimizer = model.optimizer  # None: a train_step of one's own
        if optimizer is not None and not getattr(optimizer, "built", getattr(optimizer, "_built", False)):
            optimizer.build(model.trainable_variables)  # tf-keras's optimizers say `_built`
        model.compute_metrics(images, masks, predictions, None)  # tf-keras takes no default sample_weight
        model.reset_metrics()


def inference_loss(model: Any, images: Any, masks: Any, predictions: Any = None) -> float:
    """The compiled loss of `model` on one batch in inference mode, as `evaluate` gives it,
    computed eagerly: `evaluate` would trace a graph for two calls. A `compute_loss`
    overridden without Keras 3.3's `training` argument is called without it, as Keras does."""
    if predictions is None:
        predictions = model(images, training=False)
    images, masks, predictions = as_model_tensors(model, images, masks, predictions)
    takes_training = "training" in inspect.signature(model.compute_loss).parameters
    return float(to_numpy(model.compute_loss(x=images, y=masks, y_pred=predictions,
                                             **({"training": False} if takes_training else {}))))


def fit_steps(model: Any, batch: tuple, steps: int) -> float | None:
    """`steps` Keras training steps on the same batch, in one epoch (Keras's per-epoch
    overhead once rather than per step); returns the first step's loss."""
    if steps < 1:
        return None
    first: list[float] = []

    def repeat() -> Any:
        while True:
            yield batch

    def record(batch_index: int, logs: dict | None) -> None:
        if batch_index == 0 and logs and "loss" in logs:
            first.append(float(logs["loss"]))

    keras = sys.modules[framework_of(model) or "keras"]  # Keras 3, or tf-keras for its models
    model.fit(repeat(), epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=record)])
    return first[0] if first else None
