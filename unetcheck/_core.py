"""What every check shares: the message prefix, custom messages, and reading any framework's
objects as NumPy without importing a framework the caller does not use.

A framework object is recognised by the module its type comes from, so a PyTorch team's
session never imports TensorFlow, Keras or JAX here, and the other way round.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import hashlib
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., None])
_INSIDE_A_CHECK = contextvars.ContextVar("unetcheck_inside_a_check", default=False)


def check(fn: F) -> F:
    """Gives a check its "[unetcheck.NAME]" prefix and an optional `custom_message=` argument.

    The body raises `AssertionError` with what, where and how much; `ValueError` (a
    caller's mistake) passes through unchanged. A check called inside another (as chex's
    assertions call each other) adds no prefix of its own: the failure names the check the
    caller called.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, custom_message: str | None = None, **kwargs: Any) -> None:
        __tracebackhide__ = True
        if _INSIDE_A_CHECK.get():
            return fn(*args, **kwargs)
        token = _INSIDE_A_CHECK.set(True)
        try:
            fn(*args, **kwargs)
        except AssertionError as err:
            extra = f"{custom_message}: " if custom_message else ""
            raise AssertionError(f"[unetcheck.{fn.__name__}] {extra}{err}") from None
        finally:
            _INSIDE_A_CHECK.reset(token)

    return wrapper  # type: ignore[return-value]


def is_array(x: Any) -> bool:
    """An array of any framework (it has a shape and a dtype), not a mapping of them."""
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, Mapping)


def scale_of(arr: np.ndarray) -> float:
    """The values' scale: their largest magnitude (0 for an empty or all-zero array)."""
    return float(np.max(np.abs(arr))) if arr.size else 0.0


def gap_in_scale(gap: float, scale: float, rtol: float, atol: float, what: str = "the outputs") -> str | None:
    """Why `gap` (a largest absolute difference) is too large for values of `scale`, or None.

    Allowed: `rtol` of the scale, or `atol` where that is larger (values near zero). Worded
    as "X, Y of the outputs' scale (Z; allowed W of it)".
    """
    if gap <= max(rtol * scale, atol):
        return None
    share = (
        f"{gap / scale:.2g} of {what}' scale ({scale:.3g}; allowed {rtol:.3g} of it"
        if scale
        else f"where {what} are all zero (allowed {atol:.3g}"
    )
    floor = f", or {atol:.3g} near zero)" if scale and atol else ")"
    return f"{gap:.3g}, {share}{floor}"


def add_to_digest(digest: Any, arr: np.ndarray) -> None:
    """Feeds an array's shape and bytes to a `hashlib` hash: one digest for equal shapes and
    values, another for the same bytes in another shape."""
    arr = np.ascontiguousarray(arr)
    digest.update(str(arr.shape).encode())
    digest.update(arr.tobytes())


def array_digest(arr: np.ndarray) -> str:
    """The SHA-256 of an array's shape and bytes (`add_to_digest`), as hex."""
    digest = hashlib.sha256()
    add_to_digest(digest, arr)
    return digest.hexdigest()


#: The frameworks whose models are called as Keras models: Keras 3 and tf-keras (Keras 2,
#: `TF_USE_LEGACY_KERAS=1`).
KERAS_FAMILY = ("keras", "tf_keras")
_FRAMEWORKS = ("torch", "tensorflow", "keras", "tf_keras", "jax", "jaxlib", "flax")


def framework_of(x: Any) -> str | None:
    """ "torch", "tensorflow", "keras", "tf_keras", "jax" or "flax" for an object of that
    framework, else None."""
    for cls in type(x).__mro__:
        root = cls.__module__.split(".", 1)[0]
        if root in _FRAMEWORKS:
            return "jax" if root == "jaxlib" else root
    return None


def _is_flax_variable(x: Any) -> bool:
    return framework_of(x) == "flax" and (hasattr(x, "get_value") or hasattr(x, "value"))


def _flax_value(variable: Any) -> Any:
    """An `nnx.Variable`'s array (`get_value()`: Flax 0.12 deprecates `.value`)."""
    return variable.get_value() if hasattr(variable, "get_value") else variable.value


def _unwrap_variable(x: Any) -> Any:
    """A Flax or Keras 3 variable's backend array; anything else as it is.

    A Keras variable is read through its backend value, never `np.array(variable)`: Keras's
    `__array__` (and TensorFlow's and PyTorch's, which `keras.ops.convert_to_numpy` reaches)
    takes no `copy` keyword, and NumPy 2 warns a DeprecationWarning at every such read.
    """
    if _is_flax_variable(x):
        return _flax_value(x)
    if framework_of(x) == "keras" and hasattr(x, "value"):
        return x.value
    return x


def to_numpy(x: Any, channels_first: bool = False) -> np.ndarray:
    """Any framework's array as a NumPy array, channels last.

    NumPy arrays and Python numbers as they are; PyTorch tensors detached and moved to
    the host (requires_grad, CUDA); TensorFlow tensors and variables; Keras variables on
    any backend; JAX arrays. bfloat16 becomes float32 (NumPy has no bfloat16 of its own).

    Examples:
        >>> import numpy as np
        >>> to_numpy([[1, 2]]).shape
        (1, 2)
        >>> to_numpy(np.zeros((1, 3, 4, 5)), channels_first=True).shape  # (N, C, H, W) -> (N, H, W, C)
        (1, 4, 5, 3)

    Args:
      x: the array.
      channels_first: `x` is (N, C, H, W) or (C, H, W): the channel axis is moved last.
        Never guessed: a layout is only changed when asked.
    """
    x = _unwrap_variable(x)
    framework = framework_of(x)
    if framework == "torch":
        x = x.detach()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        arr = x.cpu().numpy()
    elif framework in ("tensorflow", "tf_keras") and hasattr(x, "numpy"):  # tf-keras holds tf.Variables
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


#: Keys an image and a mask go by in dict batches (TFDS examples, Keras 3's preprocessing
#: layers, transformers' processors, MONAI's dictionaries), tried in this order.
IMAGE_KEYS = ("image", "images", "pixel_values")
MASK_KEYS = ("segmentation_mask", "segmentation_masks", "mask", "masks", "label", "labels")
_PARTS = {"image": (IMAGE_KEYS, 0), "mask": (MASK_KEYS, 1)}


def element_part(element: Any, part: str, key: str | None = None, index: int | None = None) -> Any:
    """The image or the mask (`part`) of one element of a split or a batch stream, as its
    framework gave it: a dict's `key` (by default the first of `IMAGE_KEYS` or `MASK_KEYS`
    present), a tuple's or list's `index` (by default 0 for the image, 1 for the mask), or the
    element itself.

    Examples:
        >>> element_part({"pixel_values": 1, "labels": 2}, "mask"), element_part((1, 2, 3), "image")
        (2, 1)

    Raises:
      ValueError: a dict without the key, naming the keys it has and those tried.
    """
    keys, position = _PARTS[part]
    if isinstance(element, Mapping):
        tried = [key] if key is not None else list(keys)
        found = next((k for k in tried if k in element), None)
        if found is None:
            raise ValueError(
                f"no {part} in an element with keys {sorted(element)}; keys tried: {tried}"
                + ("" if key is not None else f": name it with {part}_key=")
            )
        return element[found]
    if isinstance(element, (tuple, list)):
        return element[position if index is None else index]
    return element


def _is_variable_list(obj: Any) -> bool:
    return isinstance(obj, (list, tuple)) and all(hasattr(v, "path") or hasattr(v, "name") for v in obj)


def _key_name(entry: Any) -> str:
    """One step of a JAX key path (a dict key, an attribute, an index) as a name."""
    for field in ("key", "name", "idx"):
        if hasattr(entry, field):
            return str(getattr(entry, field))
    return str(entry)


def flatten_tree(tree: Any) -> dict[str, Any]:
    """The leaves of a nested structure by "/"-joined path (`_flatten`); a bare leaf under ""."""
    flat: dict[str, Any] = {}
    _flatten(tree, "", flat)
    return flat


def _flatten(tree: Any, prefix: str, into: dict[str, Any]) -> None:
    """Leaves of nested mappings, lists and tuples (a Flax `nnx.State`, a params dict, an
    optax state) under "/"-joined paths; other pytree nodes through JAX where it is loaded."""
    if isinstance(tree, Mapping):
        items: Iterable[tuple[Any, Any]] = tree.items()
    elif isinstance(tree, (list, tuple)):
        items = enumerate(tree)
    elif _is_flax_variable(tree):
        into[prefix] = _flax_value(tree)
        return
    elif "jax" in sys.modules and not hasattr(tree, "shape") and not isinstance(tree, (int, float, complex)):
        leaves = sys.modules["jax"].tree_util.tree_leaves_with_path(tree)
        if len(leaves) == 1 and leaves[0][1] is tree:
            into[prefix] = tree
            return
        items = (("/".join(_key_name(entry) for entry in path), leaf) for path, leaf in leaves)
    else:
        into[prefix] = tree
        return
    for key, value in items:
        _flatten(value, f"{prefix}/{key}" if prefix else str(key), into)


def named_arrays(obj: Any) -> dict[str, Any]:
    """The named parameters (and buffers) `obj` holds, unconverted: `{name: array}`.

    - a PyTorch module: its `state_dict`, i.e. parameters **and** buffers (BatchNorm
      running statistics among them);
    - a Keras model or layer (Keras 3 or tf-keras): every weight, moving statistics
      included, by path (or name);
    - a Flax NNX module: `nnx.state(module)`, read anew at each call;
    - a list of Keras (or TensorFlow) variables: by path (or name);
    - a mapping of named arrays, nested or not (a Flax `nnx.State`, a JAX params pytree:
      leaves named by their "/"-joined path), or a zero-argument callable returning one.
    """
    framework = framework_of(obj)
    if framework == "torch" and hasattr(obj, "state_dict"):
        return dict(obj.state_dict(keep_vars=True))
    if framework in KERAS_FAMILY and hasattr(obj, "weights"):
        return {getattr(w, "path", None) or w.name: w for w in obj.weights}
    if framework == "flax" and not isinstance(obj, Mapping) and "flax.nnx" in sys.modules:
        obj = sys.modules["flax.nnx"].state(obj)
    if isinstance(obj, Mapping):
        return flatten_tree(obj)
    if _is_variable_list(obj):
        return {getattr(v, "path", None) or v.name: v for v in obj}
    if callable(obj):
        return named_arrays(obj())
    raise ValueError(
        "expected a PyTorch module, a Keras model or layer, a Flax module, a list of variables, a mapping of "
        f"(nested) named arrays, or a callable returning one; got {type(obj).__name__}"
    )


def snapshot(obj: Any) -> dict[str, np.ndarray]:
    """A copy of every named array `obj` holds (see `named_arrays`), for comparing before and after.

    Checks that `train_step()` froze what it should:

        before = snapshot(model.encoder)
        train_step()
        assert_weights_unchanged(before, snapshot(model.encoder))

    Examples:
        >>> import numpy as np
        >>> params = {"encoder": {"w": np.ones(2)}}
        >>> copy = snapshot(params)
        >>> params["encoder"]["w"] += 1  # in place: the copy keeps the values before
        >>> copy
        {'encoder/w': array([1., 1.])}
    """
    return {name: np.array(to_numpy(value)) for name, value in named_arrays(obj).items()}


def trainable_arrays(model: Any) -> dict[str, Any]:
    """The arrays an optimizer should move: `requires_grad` parameters of a PyTorch module,
    `trainable_weights` of a Keras model, the `nnx.Param`s of a Flax module, every entry of
    a mapping (or of a callable's)."""
    framework = framework_of(model)
    if framework == "torch" and hasattr(model, "named_parameters"):
        return {name: p for name, p in model.named_parameters() if p.requires_grad}
    if framework in KERAS_FAMILY and hasattr(model, "trainable_weights"):
        return {getattr(w, "path", None) or w.name: w for w in model.trainable_weights}
    if framework == "flax" and not isinstance(model, Mapping) and "flax.nnx" in sys.modules:
        nnx = sys.modules["flax.nnx"]
        return named_arrays(nnx.state(model, nnx.Param))
    return named_arrays(model)


def _keras_paths(model: Any, prefix: str = "") -> dict[str, Any]:
    """Every layer of a Keras model under its "/"-joined path through nested models and layers."""
    paths: dict[str, Any] = {}
    for layer in model._flatten_layers(include_self=False, recursive=False):
        path = f"{prefix}{layer.name}"
        paths[path] = layer
        if hasattr(layer, "_flatten_layers"):
            paths.update(_keras_paths(layer, path + "/"))
    return paths


def _short_name(variable: Any) -> str:
    """A Keras variable's own name: "kernel" (Keras 3), from "conv/kernel:0" (tf-keras)."""
    return variable.name.rsplit("/", 1)[-1].split(":", 1)[0]


def _keras_variable_paths(model: Any) -> dict[int, str]:
    """`{id(variable): "encoder/stage1_bn1/moving_mean"}`: each variable of a Keras model
    under the path of the innermost layer that holds it. A variable's own `path` starts where
    its layer was built, which is not always under the model that holds it now."""
    paths: dict[int, str] = {}
    for path, layer in _keras_paths(model).items():  # a layer before the layers inside it
        for variable in getattr(layer, "weights", ()):
            paths[id(variable)] = f"{path}/{_short_name(variable)}"
    return paths


def names_under_part(model: Any, part: Any, resolved: Any) -> dict[str, str]:
    """`{name in named_arrays(resolved): its name under the part's path in `model`}`, for
    messages that name an array where the caller looks for it: "encoder.1.running_mean" in
    PyTorch, "encoder/stage1_bn1/moving_mean" in Keras. Empty where the names already are
    (a mapping's paths) or `part` is not a path."""
    if not isinstance(part, str):
        return {}
    framework = framework_of(model)
    if framework == "torch" and hasattr(model, "get_submodule"):
        return {name: f"{part}.{name}" for name in named_arrays(resolved)}
    if framework in KERAS_FAMILY and hasattr(model, "_flatten_layers"):
        paths = _keras_variable_paths(model)
        return {name: paths.get(id(variable), name) for name, variable in named_arrays(resolved).items()}
    return {}


def _no_such_part(what: str, part: str, names: Sequence[str]) -> ValueError:
    """ "no PART; nearest: ..." with the names closest to `part` (else the first ones)."""
    nearest = difflib.get_close_matches(part, names, n=5, cutoff=0.4)
    shown = f"nearest: {nearest}" if nearest else f"there are: {list(names)[:12]}"
    return ValueError(f"{what} has no part {part!r}; {shown}")


def _torch_part(model: Any, part: str) -> Any:
    try:
        return model.get_submodule(part)
    except AttributeError:
        names = [name for name, _ in model.named_modules() if name]
        raise _no_such_part(f"module {type(model).__name__}", part, names) from None


def _keras_part(model: Any, part: str) -> Any:
    paths = _keras_paths(model)
    if part in paths:
        return paths[part]
    named = [layer for path, layer in paths.items() if layer.name == part]
    if len({id(layer) for layer in named}) == 1:
        return named[0]
    if named:
        raise ValueError(
            f"model {model.name!r} has several layers named {part!r}: give the path, one of "
            f"{[path for path, layer in paths.items() if layer.name == part]}"
        )
    raise _no_such_part(f"model {model.name!r}", part, list(paths))


def resolve_part(model: Any, part: Any) -> tuple[Any, str]:
    """The part of `model` named or given by `part`, and how to call it in a message.

    A string is a path where `model` keeps its parts: a dotted PyTorch submodule path
    ("segformer.encoder"), a Keras layer's name or its "/"-path through nested models
    ("encoder/block_1_expand"), or a Flax NNX or pytree path ("encoder/conv" or
    "encoder.conv": the arrays under it). Anything else is the part itself.

    Raises:
      ValueError: no part at that path, naming the nearest that exist.
    """
    if not isinstance(part, str):
        return part, "frozen part"
    framework = framework_of(model)
    if framework == "torch" and hasattr(model, "get_submodule"):
        return _torch_part(model, part), f"frozen {part!r}"
    if framework in KERAS_FAMILY and hasattr(model, "_flatten_layers"):
        return _keras_part(model, part), f"frozen {part!r}"
    prefix = part.replace(".", "/") if part not in named_arrays(model) else part

    def under_part() -> dict[str, Any]:
        # Read anew at each call: a functional update (JAX) replaces the arrays themselves.
        arrays = named_arrays(model)
        return {
            k: v
            for k, v in arrays.items()
            if k in (part, prefix) or k.startswith((part + ".", part + "/", prefix + "/"))
        }

    if not under_part():
        names = sorted(named_arrays(model))
        parents = sorted({name.rsplit("/", 1)[0] for name in names if "/" in name} | set(names))
        raise _no_such_part("the arrays", part, parents)
    return under_part, f"frozen {part!r}"


def first_index(mask: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first True in `mask`, or None."""
    hits = np.argwhere(mask)
    return tuple(int(i) for i in hits[0]) if len(hits) else None


def percent(part: float, whole: float) -> str:
    """`part` as a percentage of `whole`, three significant digits."""
    return f"{100 * part / whole:.3g}%" if whole else "n/a"
