"""Checks on training: frozen parts, parameters that move, loss that falls, determinism.

Each takes any framework's training: a Keras model (with `fit`), or a `train_step`
callable of your own loop (PyTorch, JAX, anything) that runs one step and returns its
loss, `(loss, accuracy)`, or a dict with "loss" (and "accuracy").
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from unetcheck._core import (
    check,
    flatten_tree,
    names_under_part,
    resolve_part,
    snapshot,
    to_numpy,
    trainable_arrays,
)
from unetcheck.checks._keras_fit import is_keras_model, keras_loss_before_after, keras_overfit, void_label

#: Names of statistics a layer updates in training mode whatever its gradients: BatchNorm's
#: in PyTorch, Keras, and Flax ("mean" and "var" of an `nnx.BatchNorm`).
_RUNNING_STATISTICS = (
    "running_mean",
    "running_var",
    "num_batches_tracked",
    "moving_mean",
    "moving_variance",
    "mean",
    "var",
)


def _max_change(before: Any, after: Any) -> float:
    a, b = to_numpy(before).astype(np.float64), to_numpy(after).astype(np.float64)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


@check
def assert_weights_unchanged(before: Mapping[str, Any], after: Mapping[str, Any], what: str = "weights") -> None:
    """Checks that each named array in `after` equals its value in `before` exactly.

    Examples:
        >>> import numpy as np
        >>> before = {"encoder.w": np.ones(3), "head.w": np.zeros(2)}
        >>> assert_weights_unchanged(before, {"encoder.w": np.ones(3), "head.w": np.zeros(2)})
        >>> assert_weights_unchanged(before, {"encoder.w": np.full(3, 1.5), "head.w": np.zeros(2)})
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_weights_unchanged] 1 of 2 weights changed: ['encoder.w']; largest change ...

    Args:
      before: `{name: array}` (e.g. a `snapshot`) before training.
      after: the same names after it.
      what: how the arrays are called in the message.

    Raises:
      AssertionError: the arrays that moved and the largest absolute change; for
        BatchNorm statistics, how to freeze them.
    """
    missing = sorted(set(before) - set(after))
    if missing:
        raise ValueError(f"`after` lacks {len(missing)} of the names in `before`: {missing[:5]}")
    moved = {
        name: _max_change(value, after[name])
        for name, value in before.items()
        if not np.array_equal(to_numpy(after[name]), to_numpy(value))
    }
    if moved:
        worst = max(moved, key=moved.get)
        statistics = sorted(n for n in moved if n.rsplit(".", 1)[-1].rsplit("/", 1)[-1] in _RUNNING_STATISTICS)
        hint = ""
        if statistics:
            hint = (
                f"; {len(statistics)} of them are BatchNorm statistics ({statistics[:3]}), which move in "
                "training mode without any gradient: put the frozen part in inference mode (PyTorch and "
                "Flax NNX: .eval() after every .train(); Keras: trainable = False does it)"
            )
        raise AssertionError(
            f"{len(moved)} of {len(before)} {what} changed: {sorted(moved)[:5]}; "
            f"largest change {moved[worst]:.3g} in {worst}{hint}"
        )


@check
def assert_weights_all_changed(before: Mapping[str, Any], after: Mapping[str, Any], what: str = "weights") -> None:
    """Checks that every named array in `after` differs from its value in `before`.

    Examples:
        >>> import numpy as np
        >>> before = {"encoder.w": np.ones(3), "head.w": np.zeros(2)}
        >>> assert_weights_all_changed(before, {"encoder.w": np.ones(3), "head.w": np.ones(2)})
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_weights_all_changed] 1 of 2 weights did not change in training: ...

    Raises:
      AssertionError: the arrays that did not move (no gradient reaches them).
    """
    still = [name for name, value in before.items() if np.array_equal(to_numpy(after[name]), to_numpy(value))]
    if still:
        raise AssertionError(
            f"{len(still)} of {len(before)} {what} did not change in training: {still[:5]} "
            "(no gradient reaches them: unused in forward, detached, or frozen by mistake?)"
        )


@check
def assert_frozen(model: Any, part: Any, train_step: Callable[[], Any]) -> None:
    """Checks that `train_step()` leaves every array of `part` unchanged: parameters and
    buffers (BatchNorm's running statistics too).

    Examples:
        >>> import numpy as np
        >>> params = {"encoder": {"w": np.ones(2)}, "head": {"w": np.ones(2)}}  # any nested state
        >>> def train_step():  # trains the head, in place
        ...     params["head"]["w"] -= 0.5
        >>> assert_frozen(params, "encoder", train_step)
        >>> assert_frozen(params, "head", train_step)
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_frozen] 1 of 1 arrays of frozen 'head' changed: ['head/w']; largest ...

    Args:
      model: the model `part` belongs to: a PyTorch module, a Keras model (Keras 3 or
        tf-keras), a Flax NNX module, or a mapping of named arrays, nested or not (a Flax
        `nnx.State`, a JAX params pytree).
      part: a name (a nested Keras layer, a dotted PyTorch submodule path, a key prefix of
        a mapping), or the part itself (a module, a layer, a list of variables, a mapping,
        or a zero-argument callable returning a mapping).
      train_step: trains `model` a little (e.g. `lambda: model.fit(ds, steps_per_epoch=2)`,
        or a few steps of your own loop).

    Raises:
      AssertionError: the arrays of `part` that training changed, and by how much; if
        they are BatchNorm statistics, how to stop them moving.
      ValueError: no part of that name.
    """
    resolved, label = resolve_part(model, part)
    names = names_under_part(model, part, resolved)

    def state() -> dict[str, np.ndarray]:
        return {names.get(name, name): value for name, value in snapshot(resolved).items()}

    before = state()
    if not before:
        raise ValueError(f"{label} holds no arrays: nothing to check")
    train_step()
    assert_weights_unchanged(before, state(), f"arrays of {label}")


@check
def assert_all_trainable_change(model: Any, train_step: Callable[[], Any]) -> None:
    """Checks that `train_step()` changes every trainable parameter of `model`.

    Examples:
        >>> import numpy as np
        >>> params = {"encoder": {"w": np.ones(2)}, "head": {"w": np.ones(2)}}
        >>> def train_step():  # the encoder gets no gradient
        ...     params["head"]["w"] -= 0.5
        >>> assert_all_trainable_change(params, train_step)
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_all_trainable_change] 1 of 2 trainable parameters did not change in ...

    Args:
      model: a PyTorch module (its `requires_grad` parameters), a Keras model (its
        `trainable_weights`), a Flax NNX module (its `nnx.Param`s: pass the part the
        optimizer trains), or a mapping of named arrays, nested or not (all of them).
      train_step: trains `model` a little.

    Raises:
      AssertionError: the parameters no gradient reached.
    """
    before = snapshot(trainable_arrays(model))
    if not before:
        raise AssertionError(f"{type(model).__name__} has no trainable parameters")
    train_step()
    after = snapshot(trainable_arrays(model))
    assert_weights_all_changed(before, after, "trainable parameters")


@check
def assert_state_loaded(model: Any, state: Mapping[str, Any]) -> None:
    """Checks that `model` holds every array of a loaded checkpoint `state`, by name and value.

    Catches a load that silently did nothing, or part of it: PyTorch's
    `load_state_dict(..., strict=False)` with names that do not match (a missing or extra
    prefix), a Keras `load_weights(..., skip_mismatch=True)`, a checkpoint of another model.

    Examples:
        >>> import numpy as np
        >>> checkpoint = {"conv.weight": np.ones(3)}
        >>> assert_state_loaded({"conv.weight": np.ones(3)}, checkpoint)
        >>> assert_state_loaded({"encoder.conv.weight": np.zeros(3)}, checkpoint)  # loaded with strict=False
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_state_loaded] 1 of 1 checkpoint arrays are not in the model: 1 missing by ...

    Args:
      model: a PyTorch module, a Keras model or layer, or a mapping (see `snapshot`).
      state: the checkpoint's `{name: array}` (a PyTorch `state_dict`, say).

    Raises:
      AssertionError: the checkpoint arrays the model lacks by name, and those whose
        values differ, with a prefix that would make the names match where there is one.
    """
    held = snapshot(model)
    if not state:
        raise ValueError("the checkpoint `state` is empty")
    missing = [name for name in state if name not in held]
    differ = [
        name
        for name in state
        if name in held
        and (held[name].shape != to_numpy(state[name]).shape or not np.array_equal(held[name], to_numpy(state[name])))
    ]
    if missing or differ:
        hint = "; did the load run, and strictly (PyTorch's strict=False, Keras's skip_mismatch hide a mismatch)?"
        for name in missing[:1]:
            near = [other for other in held if other.endswith("." + name) or name.endswith("." + other)]
            if near:
                hint = (
                    f"; names differ by a prefix ({name!r} in the checkpoint, {near[0]!r} in the model): "
                    "load into the right submodule or rename the keys (strict=False hides this)"
                )
        raise AssertionError(
            f"{len(missing) + len(differ)} of {len(state)} checkpoint arrays are not in the model: "
            f"{len(missing)} missing by name {missing[:3]}, {len(differ)} with other values {differ[:3]}{hint}"
        )


@check
def assert_loss_curve_falls(losses: Sequence[float], min_relative_drop: float) -> None:
    """Checks that a recorded loss curve ends at least `min_relative_drop` below where it began.

    Examples:
        >>> assert_loss_curve_falls([1.0, 0.7, 0.5], min_relative_drop=0.3)
        >>> assert_loss_curve_falls([1.0, 0.95, 0.9], min_relative_drop=0.3)
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_loss_curve_falls] loss fell from 1 to 0.9, a relative drop of 0.1; ...

    Args:
      losses: losses in order (per epoch or per step), e.g. `history.history["loss"]`.
      min_relative_drop: e.g. 0.2 for the last at least 20% below the first.

    Raises:
      AssertionError: the first and last loss and the drop obtained; or non-finite losses.
    """
    if len(losses) < 2:
        raise ValueError("need at least two losses")
    arr = np.asarray([float(to_numpy(v)) for v in losses], dtype=np.float64)
    if not np.isfinite(arr).all():
        raise AssertionError(f"losses hold NaN or inf: {arr.tolist()[:10]}")
    first, last = float(arr[0]), float(arr[-1])
    drop = (first - last) / abs(first) if first else 0.0
    if drop < min_relative_drop:
        raise AssertionError(
            f"loss fell from {first:.4g} to {last:.4g}, a relative drop of {drop:.3g}; "
            f"expected at least {min_relative_drop:.3g}"
        )


def _step_result(result: Any) -> tuple[float, float | None]:
    """(loss, accuracy or None) from a train step's return value."""
    if isinstance(result, Mapping):
        if "loss" not in result:
            raise ValueError(f"a train step's dict must hold 'loss'; got keys {sorted(result)}")
        accuracy = result.get("accuracy")
        return float(to_numpy(result["loss"])), None if accuracy is None else float(to_numpy(accuracy))
    if isinstance(result, (tuple, list)):
        if len(result) != 2:
            raise ValueError(f"a train step returns loss, (loss, accuracy) or a dict; got {len(result)} values")
        return float(to_numpy(result[0])), float(to_numpy(result[1]))
    if result is None:
        raise ValueError("the train step returned None: return the step's loss")
    return float(to_numpy(result)), None


def _run_steps(train_step: Callable[[], Any], steps: int) -> list[tuple[float, float | None]]:
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2; got {steps!r}")
    results = []
    for _ in range(steps):
        try:
            results.append(_step_result(train_step()))
        except StopIteration:  # the step's own data iterator, exhausted
            _ran_short(len(results), steps)
    return results


def _ran_short(ran: int, steps: int) -> None:
    raise AssertionError(
        f"training ran out of data after {ran} of {steps} steps: the data is finite (a dataset without "
        ".repeat(), an iterator used up); fit with steps_per_epoch stops as early. Repeat the data, or ask "
        f"for at most {ran} steps"
    )


@check
def assert_loss_decreases(
    model_or_step: Any, data: Any = None, steps: int = 20, min_relative_drop: float = 0.1
) -> None:
    """Checks that `steps` training steps lower the loss by at least `min_relative_drop`.

    Two forms:

    - `assert_loss_decreases(train_step, steps=30, min_relative_drop=0.2)`: any loop;
      `train_step()` runs one step and returns its loss (or `(loss, accuracy)`, or a dict).
      The loss of the first step is compared with the mean of the last tenth of the steps
      (at least one), which smooths the step-to-step noise of changing batches.
    - `assert_loss_decreases(keras_model, data, steps, min_relative_drop)`: a compiled
      Keras model, trained by `fit` on `data` (a repeating dataset of (images, masks[,
      sample_weight]) batches, or one such tuple, repeated). The loss `fit` minimises (the
      compiled loss with the batch's sample weights, plus regularization) is evaluated on
      the first batch in inference mode, before and after.

    Examples:
        >>> losses = iter([1 / (1 + step) for step in range(20)])
        >>> assert_loss_decreases(lambda: next(losses), steps=20, min_relative_drop=0.5)
        >>> assert_loss_decreases(lambda: 1.0, steps=20)  # a learning rate of 0
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_loss_decreases] loss fell from 1 to 1, a relative drop of 0; expected ...0.1

    Raises:
      AssertionError: the loss before and after and the drop obtained; or the data ran out
        before `steps` steps (a short run passes nothing).
    """
    if not is_keras_model(model_or_step):
        if data is not None:
            raise ValueError("a train step brings its own data: call assert_loss_decreases(train_step, steps=...)")
        losses = [loss for loss, _ in _run_steps(model_or_step, steps)]
        tail = max(1, steps // 10)
        assert_loss_curve_falls([losses[0], float(np.mean(losses[-tail:]))], min_relative_drop)
        return
    if data is None:
        raise ValueError("a Keras model needs `data` to train on")
    before, after, ran = keras_loss_before_after(model_or_step, data, steps)
    if ran < steps:
        _ran_short(ran, steps)
    try:
        assert_loss_curve_falls([before.total, after.total], min_relative_drop)
    except AssertionError as err:
        raise AssertionError(
            f"{err} (the loss fit minimises on the first batch, inference mode, sample weights "
            f"applied: {before} -> {after})"
        ) from None


@check
def assert_overfits_batch(
    model_or_step: Any,
    images: Any = None,
    masks: Any = None,
    steps: int = 100,
    min_accuracy: float = 0.9,
    *,
    sample_weight: Any = None,
    ignore_index: int | None = None,
) -> None:
    """Checks that a model can fit one small batch: pixel accuracy reaches `min_accuracy`.

    Two forms:

    - `assert_overfits_batch(train_step, steps=100, min_accuracy=0.9)`: `train_step()`
      trains one step on one fixed batch and returns `(loss, accuracy)` or a dict with
      "loss" and "accuracy"; the last step's accuracy counts (compute it over the labelled
      pixels: void pixels are no fault of the model).
    - `assert_overfits_batch(keras_model, images, masks, steps, min_accuracy)`: a compiled
      Keras model, trained by `fit` on the batch (with `sample_weight`, as `fit` takes it);
      then the accuracy of its training-mode output over the labelled pixels: those labelled
      `ignore_index` (by default the compiled loss's `ignore_class`) count for nothing.

    Examples:
        >>> accuracies = iter([0.3 + 0.65 * step / 49 for step in range(50)])
        >>> assert_overfits_batch(lambda: (0.1, next(accuracies)), steps=50)
        >>> assert_overfits_batch(lambda: (1.0, 0.4), steps=50)  # (loss, accuracy) of each step
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_overfits_batch] after 50 steps on one batch, pixel accuracy is 0.4 ...

    Raises:
      AssertionError: the accuracy reached and the loss, first to last.
      ValueError: `ignore_index` differs from the loss's `ignore_class`.
    """
    if is_keras_model(model_or_step):
        if images is None or masks is None:
            raise ValueError("a Keras model needs the batch: assert_overfits_batch(model, images, masks, ...)")
        if not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be an int >= 1; got {steps!r}")
        batch = (images, masks) if sample_weight is None else (images, masks, sample_weight)
        reached, first_loss, last, counted = keras_overfit(
            model_or_step, batch, steps, void_label(model_or_step, ignore_index)
        )
        last_loss = last.total
    else:
        if images is not None or masks is not None or sample_weight is not None or ignore_index is not None:
            raise ValueError("a train step brings its own batch: call assert_overfits_batch(train_step, steps=...)")
        results = _run_steps(model_or_step, steps)
        if results[-1][1] is None:
            raise ValueError("the train step must return (loss, accuracy) or a dict with 'accuracy'")
        (first_loss, _), (last_loss, reached), counted = results[0], results[-1], ""
    if reached < min_accuracy:
        raise AssertionError(
            f"after {steps} steps on one batch, pixel accuracy{counted} is {reached:.3g} (required "
            f"{min_accuracy:.3g}); loss {first_loss:.4g} -> {last_loss:.4g}"
        )


def seed_everything(seed: int) -> None:
    """Seeds Python's and NumPy's global generators, and those of PyTorch, Keras (with its
    backend) and tf-keras where the session has already imported them. Imports no framework.

    Examples:
        >>> import numpy as np
        >>> seed_everything(0); first = np.random.uniform()
        >>> seed_everything(0); first == np.random.uniform()
        True
    """
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    for keras_module in ("keras", "tf_keras"):
        utils = getattr(sys.modules.get(keras_module), "utils", None)
        if hasattr(utils, "set_random_seed"):
            utils.set_random_seed(seed)


@check
def assert_deterministic(fn: Callable[[], Any], seed: int = 0, seed_fn: Callable[[int], None] | None = None) -> None:
    """Checks that `fn()` returns identical results twice, each run after seeding with `seed`.

    Examples:
        >>> import numpy as np
        >>> assert_deterministic(lambda: np.random.normal(size=3))  # NumPy's global generator, seeded each run
        >>> generator = np.random.default_rng()  # seeded once, from the operating system
        >>> assert_deterministic(lambda: generator.normal(size=3))
        Traceback (most recent call last):
        AssertionError: [unetcheck.assert_deterministic] value 0 differs between two runs with seed 0: shapes (3,) ...

    Args:
      fn: returns an array, or a nested structure (list, tuple, dict) of arrays or numbers.
      seed_fn: seeds before each run; by default `seed_everything` (Python, NumPy, and
        PyTorch and Keras where imported). JAX has no global state: derive keys in `fn`.

    Raises:
      AssertionError: the first leaf that differs and by how much.
    """
    seed_fn = seed_fn or seed_everything
    results = []
    for _ in range(2):
        seed_fn(seed)
        results.append({path: np.array(to_numpy(leaf)) for path, leaf in flatten_tree(fn()).items()})
    first, second = results
    if first.keys() != second.keys():
        raise AssertionError(f"the two runs returned different values: {sorted(first)} and {sorted(second)}")
    for index, path in enumerate(first):
        a, b = first[path], second[path]
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            gap = float(np.max(np.abs(a.astype(np.float64) - b))) if a.shape == b.shape else float("nan")
            raise AssertionError(
                f"value {index} differs between two runs with seed {seed}: shapes {a.shape} "
                f"and {b.shape}, largest difference {gap:.3g}"
            )
