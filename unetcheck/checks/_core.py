"""What every check shares: the message prefix, custom messages, and reading any framework's
objects as NumPy without importing a framework the caller does not use.

A framework object is recognised by the module its type comes from, so a PyTorch team's
session never imports TensorFlow, Keras or JAX here, and the other way round.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., None])


def check(fn: F) -> F:
    """Gives a check its "[unetcheck.NAME]" prefix and an optional `custom_message=` argument.

    The body raises `AssertionError` with what, where and how much; `ValueError` (a
    caller's mistake) passes through unchanged.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, custom_message: str | None = None, **kwargs: Any) -> None:
        __tracebackhide__ = True
        try:
            fn(*args, **kwargs)
        except AssertionError as err:
            extra = f"{custom_message}: " if custom_message else ""
            raise AssertionError(f"[unetcheck.{fn.__name__}] {extra}{err}") from None

    return wrapper  # type: ignore[return-value]


def framework_of(x: Any) -> str | None:
    """"torch", "tensorflow", "keras" or "jax" for an object of that framework, else None."""
    for cls in type(x).__mro__:
        root = cls.__module__.split(".", 1)[0]
        if root in ("torch", "tensorflow", "keras", "jax", "jaxlib"):
            return "jax" if root == "jaxlib" else root
    return None


def to_numpy(x: Any, channels_first: bool = False) -> np.ndarray:
    """Any framework's array as a NumPy array, channels last.

    NumPy arrays and Python numbers as they are; PyTorch tensors detached and moved to
    the host (requires_grad, CUDA); TensorFlow tensors and variables; Keras variables on
    any backend; JAX arrays. bfloat16 becomes float32 (NumPy has no bfloat16 of its own).

    Args:
      x: the array.
      channels_first: `x` is (N, C, H, W) or (C, H, W): the channel axis is moved last.
        Never guessed: a layout is only changed when asked.
    """
    framework = framework_of(x)
    if framework == "torch":
        x = x.detach()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        arr = x.cpu().numpy()
    elif framework == "keras" or (framework == "tensorflow" and hasattr(x, "numpy")):
        if framework == "keras":
            arr = np.asarray(sys.modules["keras"].ops.convert_to_numpy(x))
        else:
            arr = np.asarray(x.numpy())
    else:  # NumPy, JAX arrays (through __array__), numbers, nested lists
        arr = np.asarray(x)
    if arr.dtype.name == "bfloat16":
        arr = arr.astype(np.float32)
    if channels_first:
        if arr.ndim not in (3, 4):
            raise ValueError(f"channels_first needs (N, C, H, W) or (C, H, W); got shape {arr.shape}")
        arr = np.moveaxis(arr, arr.ndim - 3, -1)
    return arr


def from_channels_last(images: np.ndarray, channels_first: bool) -> np.ndarray:
    """`images` (N, H, W, C) in the layout a caller's model takes."""
    return np.ascontiguousarray(np.moveaxis(images, -1, 1)) if channels_first else images


def predict(model: Any, images: np.ndarray, channels_first: bool = False) -> np.ndarray:
    """The model's output for (N, H, W, C) float32 `images`, as NumPy (N, H, W, K).

    A Keras model or layer is called with `training=False`; a PyTorch module under
    `torch.no_grad()`, with the images on its parameters' device and in its dtype, in
    whatever mode it is in (`eval()` is the caller's: the checks exist to catch it
    forgotten); any other callable (a JAX `apply`, a function on arrays) gets the NumPy
    array. `channels_first`: the model takes and returns (N, C, H, W).
    """
    inputs = from_channels_last(images, channels_first)
    framework = framework_of(model)
    if framework == "keras":
        out = model(inputs, training=False)
    elif framework == "torch":
        import torch

        parameter = next(iter(model.parameters()), None)
        tensor = torch.from_numpy(inputs)
        if parameter is not None:
            dtype = parameter.dtype if parameter.dtype.is_floating_point else tensor.dtype
            tensor = tensor.to(device=parameter.device, dtype=dtype)
        with torch.no_grad():
            out = model(tensor)
    else:
        out = model(inputs)
    return to_numpy(out, channels_first)


def _is_variable_list(obj: Any) -> bool:
    return isinstance(obj, (list, tuple)) and all(hasattr(v, "path") or hasattr(v, "name") for v in obj)


def named_arrays(obj: Any) -> dict[str, Any]:
    """The named parameters (and buffers) `obj` holds, unconverted: `{name: array}`.

    - a PyTorch module: its `state_dict`, i.e. parameters **and** buffers (BatchNorm
      running statistics among them);
    - a Keras model or layer: every weight, moving statistics included, by path;
    - a list of Keras (or TensorFlow) variables: by path (or name);
    - a mapping of named arrays, or a zero-argument callable returning one (JAX state).
    """
    framework = framework_of(obj)
    if framework == "torch" and hasattr(obj, "state_dict"):
        return dict(obj.state_dict(keep_vars=True))
    if framework == "keras" and hasattr(obj, "weights"):
        return {w.path: w for w in obj.weights}
    if isinstance(obj, Mapping):
        return dict(obj)
    if _is_variable_list(obj):
        return {getattr(v, "path", None) or v.name: v for v in obj}
    if callable(obj):
        return named_arrays(obj())
    raise ValueError(
        "expected a PyTorch module, a Keras model or layer, a list of variables, a mapping of named arrays, "
        f"or a callable returning one; got {type(obj).__name__}")


def snapshot(obj: Any) -> dict[str, np.ndarray]:
    """A copy of every named array `obj` holds (see `named_arrays`), for comparing before and after.

    Checks that `train_step()` froze what it should:

        before = snapshot(model.encoder)
        train_step()
        assert_weights_unchanged(before, snapshot(model.encoder))
    """
    return {name: np.array(to_numpy(value)) for name, value in named_arrays(obj).items()}


def trainable_arrays(model: Any) -> dict[str, Any]:
    """The arrays an optimizer should move: `requires_grad` parameters of a PyTorch module,
    `trainable_weights` of a Keras model, every entry of a mapping (or of a callable's)."""
    framework = framework_of(model)
    if framework == "torch" and hasattr(model, "named_parameters"):
        return {name: p for name, p in model.named_parameters() if p.requires_grad}
    if framework == "keras" and hasattr(model, "trainable_weights"):
        return {w.path: w for w in model.trainable_weights}
    return named_arrays(model)


def _keras_layers(model: Any) -> Iterable[Any]:
    yield from model._flatten_layers(include_self=False)


def resolve_part(model: Any, part: Any) -> tuple[Any, str]:
    """The part of `model` named or given by `part`, and how to call it in a message.

    A string is looked up where `model` keeps its parts: a (nested) Keras layer name, a
    dotted PyTorch submodule path, or a key prefix of a mapping. Anything else is the
    part itself.

    Raises:
      ValueError: no part of that name, listing what there is.
    """
    if not isinstance(part, str):
        return part, "frozen part"
    framework = framework_of(model)
    if framework == "torch" and hasattr(model, "get_submodule"):
        try:
            return model.get_submodule(part), f"frozen {part!r}"
        except AttributeError:
            names = [name for name, _ in model.named_children()]
            raise ValueError(
                f"module {type(model).__name__} has no submodule {part!r}; its children: {names[:12]}") from None
    if framework == "keras" and hasattr(model, "_flatten_layers"):
        for layer in _keras_layers(model):
            if layer.name == part:
                return layer, f"frozen {part!r}"
        names = [layer.name for layer in model.layers]
        raise ValueError(f"model {model.name!r} has no layer {part!r}; its layers: {names[:12]}")

    def under_part() -> dict[str, Any]:
        # Read anew at each call: a functional update (JAX) replaces the arrays themselves.
        arrays = named_arrays(model)
        return {k: v for k, v in arrays.items() if k == part or k.startswith((part + ".", part + "/"))}

    if not under_part():
        raise ValueError(f"no array named {part!r} or under it; names: {sorted(named_arrays(model))[:12]}")
    return under_part, f"frozen {part!r}"


def first_index(mask: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first True in `mask`, or None."""
    hits = np.argwhere(mask)
    return tuple(int(i) for i in hits[0]) if len(hits) else None


def percent(part: float, whole: float) -> str:
    """`part` as a percentage of `whole`, three significant digits."""
    return f"{100 * part / whole:.3g}%" if whole else "n/a"
