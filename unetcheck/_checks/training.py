"""Checks on training: frozen parts, weights that move, loss that falls, determinism."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from unetcheck._checks.base import as_numpy, check, snapshot_weights


@check
def assert_weights_unchanged(before: Mapping[str, Any], after: Mapping[str, Any], what: str = "weights") -> None:
    """Checks that each named weight in `after` equals its value in `before` exactly.

    Raises:
      AssertionError: the weights that moved and the largest absolute change.
    """
    moved = {
        name: float(np.max(np.abs(as_numpy(after[name]).astype(np.float64) - as_numpy(value))))
        for name, value in before.items()
        if not np.array_equal(as_numpy(after[name]), as_numpy(value))
    }
    if moved:
        worst = max(moved, key=moved.get)
        raise AssertionError(
            f"{len(moved)} of {len(before)} {what} changed: {sorted(moved)[:5]}; "
            f"largest change {moved[worst]:.3g} in {worst}"
        )


@check
def assert_weights_all_changed(before: Mapping[str, Any], after: Mapping[str, Any], what: str = "weights") -> None:
    """Checks that every named weight in `after` differs from its value in `before`.

    Raises:
      AssertionError: the weights that did not move (no gradient reaches them).
    """
    still = [name for name, value in before.items() if np.array_equal(as_numpy(after[name]), as_numpy(value))]
    if still:
        raise AssertionError(f"{len(still)} of {len(before)} {what} did not change in training: {still[:5]}")


def _part_weights(model: Any, part: Any) -> list:
    if isinstance(part, str):
        names = [layer.name for layer in model.layers]
        if part not in names:
            raise ValueError(f"model {model.name!r} has no layer {part!r}; its layers: {names[:12]}")
        return list(model.get_layer(part).weights)
    if hasattr(part, "weights"):
        return list(part.weights)
    return list(part)


@check
def assert_frozen(model: Any, part: Any, train_step: Callable[[], Any]) -> None:
    """Checks that `train_step()` leaves every weight of `part` unchanged (moving statistics too).

    Args:
      model: the model `part` belongs to.
      part: a layer name, a layer, or a list of variables.
      train_step: trains `model` a little (e.g. `lambda: model.fit(ds, steps_per_epoch=2)`).

    Raises:
      AssertionError: the weights of `part` that training changed, and by how much.
    """
    weights = _part_weights(model, part)
    before = snapshot_weights(weights)
    train_step()
    assert_weights_unchanged.__wrapped__(before, snapshot_weights(weights), f"weights of frozen {part!r}"
                                         if isinstance(part, str) else "frozen weights")


@check
def assert_all_trainable_change(model: Any, train_step: Callable[[], Any]) -> None:
    """Checks that `train_step()` changes every trainable weight of `model`.

    Raises:
      AssertionError: the trainable weights no gradient reached.
    """
    before = snapshot_weights(model.trainable_weights)
    if not before:
        raise AssertionError(f"model {model.name!r} has no trainable weights")
    train_step()
    assert_weights_all_changed.__wrapped__(before, snapshot_weights(model.trainable_weights), "trainable weights")


@check
def assert_loss_decreased(losses: Sequence[float], min_relative_drop: float) -> None:
    """Checks that the last of `losses` is at least `min_relative_drop` below the first.

    Raises:
      AssertionError: the first and last loss and the drop obtained; or non-finite losses.
    """
    if len(losses) < 2:
        raise ValueError("need at least two losses")
    arr = np.asarray(losses, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise AssertionError(f"losses hold NaN or inf: {arr.tolist()[:10]}")
    first, last = float(arr[0]), float(arr[-1])
    drop = (first - last) / abs(first) if first else 0.0
    if drop < min_relative_drop:
        raise AssertionError(
            f"loss fell from {first:.4g} to {last:.4g}, a relative drop of {drop:.3g}; "
            f"expected at least {min_relative_drop:.3g}"
        )


def _first_batch(data: Any) -> tuple[Any, Any]:
    if isinstance(data, tuple) and len(data) >= 2:
        return data[0], data[1]
    batch = next(iter(data))
    return batch[0], batch[1]


@check
def assert_loss_decreases(model: Any, data: Any, steps: int, min_relative_drop: float) -> None:
    """Checks that `steps` training steps on `data` lower a compiled model's loss on its first batch.

    Args:
      model: a compiled Keras model.
      data: a (repeating) dataset of (images, masks[, weights]) batches, or an
        `(images, masks)` tuple of arrays.
      steps: training steps to run.
      min_relative_drop: e.g. 0.2 for at least 20% lower.

    Raises:
      AssertionError: the loss before and after and the drop obtained.
    """
    images, masks = _first_batch(data)
    before = float(model.evaluate(images, masks, verbose=0, return_dict=True)["loss"])
    if isinstance(data, tuple):
        _fit_steps(model, data, steps)
    else:
        if hasattr(data, "with_options"):  # a tf.data.Dataset: same elements, fit returns at once
            from unetcheck.pipeline import without_autotune

            data = without_autotune(data)
        model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    after = float(model.evaluate(images, masks, verbose=0, return_dict=True)["loss"])
    assert_loss_decreased.__wrapped__([before, after], min_relative_drop)


def _fit_steps(model: Any, batch: tuple, steps: int) -> float | None:
    """`steps` training steps on the same batch, in one epoch (Keras's per-epoch overhead,
    about 20 ms here, once rather than per step); returns the first step's loss."""
    if steps < 1:
        return None
    first: list[float] = []

    def repeat() -> Any:
        while True:
            yield batch

    def record(batch_index: int, logs: dict | None) -> None:
        if batch_index == 0 and logs and "loss" in logs:
            first.append(float(logs["loss"]))

    import keras

    model.fit(repeat(), epochs=1, steps_per_epoch=steps, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=record)])
    return first[0] if first else None


@check
def assert_overfits_batch(model: Any, images: Any, masks: Any, steps: int = 100, min_accuracy: float = 0.9) -> None:
    """Checks that a compiled model fits one small batch: pixel accuracy reaches `min_accuracy`.

    The accuracy is the one training reports on its last step (training mode).

    Raises:
      AssertionError: the accuracy reached and the loss, first to last.
    """
    # All but the last step in one epoch; the last one alone, so that its history holds
    # that step's accuracy, not an average over the epoch.
    first_loss = _fit_steps(model, (images, masks), steps - 1)
    history = model.fit(images, masks, epochs=1, batch_size=len(as_numpy(images)), verbose=0).history
    key = next((k for k in ("accuracy", "sparse_categorical_accuracy") if k in history), None)
    if key is None:
        raise ValueError("compile the model with metrics=['accuracy'] to check overfitting")
    reached = float(history[key][-1])
    if reached < min_accuracy:
        raise AssertionError(
            f"after {steps} steps on one batch, pixel accuracy is {reached:.3g} (required {min_accuracy:.3g}); "
            f"loss {history['loss'][0] if first_loss is None else first_loss:.4g} -> {history['loss'][-1]:.4g}"
        )


@check
def assert_deterministic(fn: Callable[[], Any], seed: int = 0) -> None:
    """Checks that `fn()` returns identical results twice after `keras.utils.set_random_seed(seed)`.

    Args:
      fn: returns an array, or a nested structure (list, tuple, dict) of arrays or numbers.

    Raises:
      AssertionError: the first leaf that differs and by how much.
    """
    import keras

    results = []
    for _ in range(2):
        keras.utils.set_random_seed(seed)
        results.append([as_numpy(leaf) for leaf in keras.tree.flatten(fn())])
    first, second = results
    if len(first) != len(second):
        raise AssertionError(f"the two runs returned {len(first)} and {len(second)} values")
    for index, (a, b) in enumerate(zip(first, second)):
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            gap = float(np.max(np.abs(a.astype(np.float64) - b))) if a.shape == b.shape else float("nan")
            raise AssertionError(f"value {index} differs between two runs with seed {seed}: shapes {a.shape} "
                                 f"and {b.shape}, largest difference {gap:.3g}")
