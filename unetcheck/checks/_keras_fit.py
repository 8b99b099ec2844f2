"""Driving a compiled Keras model (Keras 3 or tf-keras) the way `fit` and `evaluate` do, for the
training checks: its optimizer and metric state built ahead, steps run through `fit` and
counted, the loss `fit` minimises computed eagerly (sample weights and regularization
included), the void label read from the compiled loss. The one place the checks call
Keras's training machinery."""

from __future__ import annotations

import contextlib
import inspect
import sys
import warnings
from typing import Any, NamedTuple

import numpy as np

from unetcheck._core import framework_of, to_numpy


def is_keras_model(obj: Any) -> bool:
    return hasattr(obj, "fit") and hasattr(obj, "evaluate") and hasattr(obj, "compile")


def first_batch(data: Any) -> tuple[Any, Any, Any]:
    """(images, masks, sample weights or None) of an `(images, masks[, weights])` tuple, or of
    the first batch of a dataset of such tuples."""
    batch = data if isinstance(data, tuple) and len(data) >= 2 else next(iter(data))
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise ValueError(
            "a Keras model's data holds (images, masks) or (images, masks, sample_weight) batches; "
            f"got {type(batch).__name__}{f' of {len(batch)}' if isinstance(batch, (tuple, list)) else ''}"
        )
    return batch[0], batch[1], batch[2] if len(batch) == 3 else None


def loss_ignore_class(model: Any) -> int | None:
    """The label the compiled loss leaves out: Keras's `ignore_class` (Keras 3 and tf-keras
    `SparseCategoricalCrossentropy`), else None."""
    loss = getattr(model, "loss", None)
    value = getattr(loss, "ignore_class", None)
    if value is None and hasattr(loss, "get_config"):
        with contextlib.suppress(Exception):  # a loss of one's own may not serialize
            value = loss.get_config().get("ignore_class")
    return None if value is None else int(value)


def void_label(model: Any, ignore_index: int | None) -> int | None:
    """The void label the training checks leave out: `ignore_index`, else the loss's.

    Raises:
      ValueError: `ignore_index` and the compiled loss's `ignore_class` differ.
    """
    compiled = loss_ignore_class(model)
    if ignore_index is not None and compiled is not None and int(ignore_index) != compiled:
        raise ValueError(
            f"ignore_index={ignore_index} but the model's loss has ignore_class={compiled}: "
            "the check would count the pixels the loss leaves out"
        )
    return compiled if ignore_index is None else int(ignore_index)


def as_model_tensors(model: Any, *arrays: Any) -> tuple[Any, ...]:
    """`arrays` as tensors where the model's Keras wants them: tf-keras's compiled losses and
    metrics read TensorFlow shapes; Keras 3 takes any array. None stays None."""
    if framework_of(model) != "tf_keras":
        return arrays
    tf = sys.modules["tensorflow"]
    return tuple(None if a is None else tf.convert_to_tensor(to_numpy(a)) for a in arrays)


def build_fit_state(model: Any, images: Any, masks: Any, predictions: Any) -> None:
    """Makes a compiled Keras model's optimizer and metric variables now, as `fit` would.

    Made inside `fit`'s first trace instead, they make TensorFlow trace the whole training
    step a second time (tensorflow/tensorflow#48851). One batch (any size; `predictions`
    the model's output on `images`) builds the metrics, which are then reset.

    Examples:
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


class FitLoss(NamedTuple):
    """The loss `fit` minimises on a batch (`total`: the compiled loss with the batch's sample
    weights, plus the model's regularization losses) and its regularization part."""

    total: float
    regularization: float

    def __str__(self) -> str:
        return (
            f"{self.total:.4g} (regularization {self.regularization:.3g})"
            if self.regularization
            else f"{self.total:.4g}"
        )


def fit_loss(
    model: Any, images: Any, masks: Any, sample_weight: Any = None, predictions: Any = None, training: bool = False
) -> FitLoss:
    """The loss `fit` minimises, on one batch, computed eagerly: `evaluate` would trace a
    graph for two calls. Inference mode (as `evaluate` gives it) unless `training`. A
    `compute_loss` overridden without Keras 3.3's `training` argument is called without it,
    as Keras does."""
    if predictions is None:
        predictions = model(images, training=training)
    images, masks, predictions, sample_weight = as_model_tensors(model, images, masks, predictions, sample_weight)
    takes_training = "training" in inspect.signature(model.compute_loss).parameters
    total = model.compute_loss(
        x=images,
        y=masks,
        y_pred=predictions,
        sample_weight=sample_weight,
        **({"training": training} if takes_training else {}),
    )
    regularization = sum(float(to_numpy(loss).sum()) for loss in model.losses)
    return FitLoss(float(to_numpy(total)), regularization)


def inference_loss(model: Any, images: Any, masks: Any, predictions: Any = None) -> float:
    """The compiled loss of `model` on one batch in inference mode, as `evaluate` gives it
    (`fit_loss` without sample weights)."""
    return fit_loss(model, images, masks, None, predictions).total


def training_outputs(model: Any, images: Any) -> Any:
    """The model's output on `images` in training mode, as a training step computes it, with
    its non-trainable state (BatchNorm's moving statistics, seed states) put back after."""
    state = [(variable, to_numpy(variable).copy()) for variable in model.non_trainable_variables]
    outputs = model(as_model_tensors(model, images)[0], training=True)
    for variable, value in state:
        variable.assign(value)
    return outputs


def fit_steps(model: Any, data: Any, steps: int) -> tuple[int, float | None]:
    """Up to `steps` Keras training steps in one epoch (Keras's per-epoch overhead once rather
    than per step): on `data` as `fit` takes it, or repeatedly on one batch tuple. Returns the
    steps that ran (fewer where finite data ran out) and the first step's loss."""
    if steps < 1:
        return 0, None
    if isinstance(data, tuple):
        batch = data

        def repeat() -> Any:
            while True:
                yield batch

        data = repeat()
    elif hasattr(data, "with_options"):  # a tf.data.Dataset: fit returns at once without its autotuner
        options = sys.modules["tensorflow"].data.Options()
        options.autotune.enabled = False
        data = data.with_options(options)
    losses: list[float] = []

    def record(batch_index: int, logs: dict | None) -> None:
        losses.append(float((logs or {}).get("loss", float("nan"))))

    keras = sys.modules[framework_of(model) or "keras"]  # Keras 3, or tf-keras for its models
    with warnings.catch_warnings():  # the steps are counted: a short run is the check's to report
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        model.fit(
            data,
            epochs=1,
            steps_per_epoch=steps,
            verbose=0,
            shuffle=False,
            callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=record)],
        )
    return len(losses), losses[0] if losses else None


def labelled_accuracy(outputs: Any, masks: Any, void: int | None) -> tuple[float, int, int]:
    """(pixel accuracy of channels-last `outputs`' argmax over the labelled pixels, how many
    those are, how many are void): the pixels labelled `void` count for nothing, as for the loss."""
    predicted = np.argmax(to_numpy(outputs), axis=-1)
    labels = to_numpy(masks)
    if labels.ndim == predicted.ndim + 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != predicted.shape:
        raise ValueError(
            f"masks of shape {to_numpy(masks).shape} do not match the outputs' "
            f"{to_numpy(outputs).shape} (channels last)"
        )
    labelled = labels != void if void is not None else np.ones(labels.shape, bool)
    if not labelled.any():
        raise ValueError(f"every pixel of the batch is void (label {void}): nothing to fit")
    correct = int(np.sum((predicted == labels) & labelled))
    return correct / int(labelled.sum()), int(labelled.sum()), int(labels.size - labelled.sum())


def keras_loss_before_after(model: Any, data: Any, steps: int) -> tuple[FitLoss, FitLoss, int]:
    """The loss `fit` minimises on the first batch of `data` (with its sample weights), in
    inference mode, before and after up to `steps` `fit` steps on `data`; and the steps run."""
    images, masks, weights = first_batch(data)
    predictions = model(images, training=False)
    build_fit_state(model, images, masks, predictions)
    before = fit_loss(model, images, masks, weights, predictions)
    ran, _ = fit_steps(model, data, steps)
    return before, fit_loss(model, images, masks, weights), ran


def keras_overfit(model: Any, batch: tuple, steps: int, void: int | None) -> tuple[float, float, FitLoss, str]:
    """`steps` `fit` steps on one `(images, masks[, weights])` batch; then the accuracy of a
    training-mode forward over the labelled pixels, the first step's loss, the loss after the
    last step, and which pixels the accuracy counted."""
    images, masks = batch[0], batch[1]
    weights = batch[2] if len(batch) == 3 else None
    build_fit_state(model, images, masks, model(images, training=False))
    ran, first = fit_steps(model, batch, steps)
    outputs = training_outputs(model, images)
    accuracy, labelled, void_pixels = labelled_accuracy(outputs, masks, void)
    counted = (
        f" over the {labelled} labelled pixels ({void_pixels} void, label {void}, left out)" if void_pixels else ""
    )
    last = fit_loss(model, images, masks, weights, outputs, training=True)
    return accuracy, last.total if first is None else first, last, counted
