"""Calling any team's model the way its library calls it: the image layout it takes, the
output form it returns (a tensor, a dict, a tuple, an output object with `.logits`), and
logits of another size than the input, resized only when asked.

The checks hold images and outputs channels last inside; `channels_first=True` is the
caller's layout at the edge, for images in and outputs out alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from unetcheck._core import KERAS_FAMILY, framework_of, is_array, to_numpy

#: What `output=` may be: a key of a dict output, an index of a tuple output, an attribute
#: name of an output object, or a function from the raw output to the logits.
OutputSelector = str | int | Callable[[Any], Any] | None

#: Keys tried, in this order, in a dict output when no `output=` is given: torchvision's
#: segmentation models return {"out", "aux"}, transformers' outputs hold "logits".
OUTPUT_KEYS = ("out", "logits")

#: How `resize=` brings logits of another size to the input's height and width.
RESIZE_METHODS = ("bilinear", "nearest")


def _describe(out: Any) -> str:
    kind = type(out)
    return f"{kind.__module__}.{kind.__qualname__}"


def select_output(out: Any, output: OutputSelector = None) -> Any:
    """The logits in a model's raw output, by the documented rule.

    - an array (any framework): itself;
    - a dict or other mapping (torchvision's `{"out", "aux"}`, transformers' output
      objects, which are mappings too): the one value if there is one, else the first of
      `OUTPUT_KEYS` present ("out", then "logits");
    - a tuple or list (smp with `aux_params` returns `(masks, labels)`, transformers with
      `return_dict=False` `(logits, ...)`): its first element;
    - an object with a `.logits` attribute: that.

    `output=` overrides the rule: a key, an index, an attribute name, or a function of the
    raw output.

    Examples:
        >>> import numpy as np
        >>> logits = np.zeros((1, 4, 4, 3))
        >>> select_output({"out": logits, "aux": logits + 1}) is logits  # torchvision
        True
        >>> select_output((logits, np.zeros((1, 3)))) is logits  # smp with aux_params
        True
        >>> select_output({"seg": logits, "edges": logits}, output="seg") is logits
        True
        >>> select_output({"seg": logits, "edges": logits})
        Traceback (most recent call last):
        ValueError: the model returned a builtins.dict with keys ['seg', 'edges']: name the logits with ...

    Raises:
      ValueError: an output this rule cannot read, naming its type (and its keys), or an
        `output=` that does not select anything in it.
    """
    if callable(output):
        return output(out)
    if output is not None:
        try:
            if isinstance(out, (Mapping, tuple, list)):
                return out[output]
            return getattr(out, output)
        except (KeyError, IndexError, TypeError, AttributeError):
            what = (
                f"keys {list(out)}"
                if isinstance(out, Mapping)
                else (f"{len(out)} elements" if isinstance(out, (tuple, list)) else "no such attribute")
            )
            raise ValueError(
                f"output={output!r} selects nothing in the model's output of type {_describe(out)} ({what})"
            ) from None
    if is_array(out):
        return out
    if isinstance(out, Mapping):
        present = [value for value in out.values() if value is not None]
        if len(present) == 1:
            return present[0]
        for key in OUTPUT_KEYS:
            if out.get(key) is not None:
                return out[key]
        raise ValueError(
            f"the model returned a {_describe(out)} with keys {list(out)}: name the logits with "
            "output='KEY' (or output=lambda out: ...)"
        )
    if isinstance(out, (tuple, list)):
        if not out:
            raise ValueError(f"the model returned an empty {_describe(out)}")
        return out[0]
    if getattr(out, "logits", None) is not None:
        return out.logits
    raise ValueError(
        f"cannot read logits from the model's output of type {_describe(out)}: pass output= (a key, "
        "an index, an attribute name or a function of the output)"
    )


def resize_outputs(outputs: np.ndarray, size: tuple[int, int], method: str) -> np.ndarray:
    """(N, h, w, K) outputs resized to (N, H, W, K) with half-pixel centres, as
    `tf.image.resize` and PyTorch's `interpolate(..., align_corners=False)` (bilinear) or
    `mode="nearest-exact"` (nearest) do: SegFormer's logits are a quarter of the input."""
    from unetcheck.pets.preprocess import resize_bilinear, resize_nearest  # the one resize

    if method not in RESIZE_METHODS:
        raise ValueError(f"resize must be one of {RESIZE_METHODS} or None; got {method!r}")
    if tuple(outputs.shape[1:3]) == tuple(size):
        return outputs
    resize = resize_bilinear if method == "bilinear" else resize_nearest
    return np.moveaxis(resize(np.moveaxis(outputs, 0, -1), tuple(size)), -1, 0)  # (h, w, K, N): spatial axes first


def input_shape(model: Any) -> tuple[int | None, ...] | None:
    """One example's shape in the layout `model` takes, None where any size goes (only the
    channels are read): `(None, None, C)` from a built Keras model's input shape,
    `(in_channels, None, None)` from a PyTorch module's first registered convolution when it
    takes 1 to 4 channels (modules register in any order: a first-registered head with 16
    input channels says nothing of the images); None where the library does not say."""
    framework = framework_of(model)
    if framework in KERAS_FAMILY:
        try:
            shape = model.input_shape if getattr(model, "built", False) else None
        except (AttributeError, ValueError):  # a layer with no single input
            return None
        channels = shape[-1] if isinstance(shape, tuple) and len(shape) == 4 else None
        return (None, None, channels) if channels is not None else None
    if framework == "torch" and hasattr(model, "modules"):
        for module in model.modules():
            channels = getattr(module, "in_channels", None)
            if isinstance(channels, int) and hasattr(module, "kernel_size"):
                return (channels, None, None) if 1 <= channels <= 4 else None
    return None


def _fits(shape: tuple[int, ...], expected: tuple[int | None, ...]) -> bool:
    return all(e is None or e == s for s, e in zip(shape, expected))


def as_images(images: Any, channels_first: bool, model: Any = None, name: str = "images") -> np.ndarray:
    """`images` in the caller's layout as float32 NumPy (N, H, W, C).

    Raises:
      ValueError: not a 4-D batch, or a layout that contradicts `channels_first`, said
        before the model is ever called: judged by the model's own input shape where its
        library gives one, else by a channel axis longer than 4 beside a last (first)
        axis of 1 to 4.
    """
    arr = to_numpy(images)
    said = "(N, C, H, W)" if channels_first else "(N, H, W, C)"
    if arr.ndim != 4:
        raise ValueError(f"{name} must be a batch {said}; got shape {arr.shape}")
    example = arr.shape[1:]
    # The example read in the other layout, then written in the declared one.
    swapped = (example[2], example[0], example[1]) if channels_first else (example[1], example[2], example[0])
    expected = input_shape(model) if model is not None else None
    if expected is not None:
        wrong = not _fits(example, expected)
        other_fits = _fits(swapped, expected)
    else:
        channels, other = (example[0], example[2]) if channels_first else (example[2], example[0])
        wrong = other_fits = channels > 4 and other <= 4
    if wrong and other_fits:
        looks = "(N, H, W, C)" if channels_first else "(N, C, H, W)"
        takes = f" and the model takes {expected} per example" if expected is not None else ""
        raise ValueError(
            f"{name} of shape {arr.shape} look {looks}{takes}, but channels_first={channels_first} means {said}: "
            f"pass {name} in the model's own layout and say so with channels_first"
        )
    if wrong:
        raise ValueError(
            f"{name} of shape {arr.shape} do not fit the model's input, {expected} per example "
            f"(None: any size), in the layout channels_first={channels_first} says, {said}"
        )
    arr = np.moveaxis(arr, 1, -1) if channels_first else arr
    return np.ascontiguousarray(arr, dtype=np.float32)


def call_model(model: Any, inputs: np.ndarray) -> Any:
    """The raw output of `model` on NumPy `inputs` (already in its layout), without gradients.

    A Keras model or layer (Keras 3 on any backend, or tf-keras) is called with
    `training=False`; a PyTorch module under `torch.no_grad()`, with the images on its
    parameters' device and in their dtype, in whatever mode it is in (`eval()` is the
    caller's: the checks exist to catch it forgotten); any other callable (a Flax module,
    a JAX `apply`, a function on arrays) gets the NumPy array.
    """
    framework = framework_of(model)
    if framework in KERAS_FAMILY:
        return model(inputs, training=False)
    if framework == "torch":
        import torch

        parameter = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
        tensor = torch.from_numpy(inputs)
        if parameter is not None:
            dtype = parameter.dtype if parameter.dtype.is_floating_point else tensor.dtype
            tensor = tensor.to(device=parameter.device, dtype=dtype)
        with torch.no_grad():
            return model(tensor)
    if not callable(model):
        raise ValueError(f"expected a model or a function of images; got {_describe(model)}")
    return model(inputs)


def outputs_nhwc(
    model: Any,
    images: np.ndarray,
    channels_first: bool = False,
    output: OutputSelector = None,
    resize: str | None = None,
) -> np.ndarray:
    """The logits of `model` on (N, H, W, C) `images`, as NumPy (N, h, w, K): the model is
    called in its layout, its output read by `select_output`, and resized to (H, W) when
    `resize` names a method."""
    inputs = np.ascontiguousarray(np.moveaxis(images, -1, 1)) if channels_first else images
    logits = as_outputs(call_model(model, inputs), channels_first, output)
    if len(logits) != len(images):
        raise ValueError(f"the model returned {len(logits)} outputs for {len(images)} images")
    if resize is not None:
        logits = resize_outputs(logits, images.shape[1:3], resize)
    return logits


def as_outputs(out: Any, channels_first: bool = False, output: OutputSelector = None) -> np.ndarray:
    """A model's raw output (any form `select_output` reads) as NumPy (N, h, w, K).

    Raises:
      ValueError: an unreadable output, or logits that are not a 4-D batch.
    """
    logits = to_numpy(select_output(out, output))
    if logits.ndim != 4:
        layout = "(N, K, H, W)" if channels_first else "(N, H, W, K)"
        raise ValueError(
            f"expected logits {layout} from the model's output of type {_describe(out)}; got shape {logits.shape}"
        )
    return np.moveaxis(logits, 1, -1) if channels_first else logits


def predict(
    model: Any, images: Any, channels_first: bool = False, output: OutputSelector = None, resize: str | None = None
) -> np.ndarray:
    """The model's logits on `images`, as NumPy, both in the caller's layout.

    Examples:
        >>> import numpy as np
        >>> images = np.zeros((2, 3, 8, 8), np.float32)  # NCHW, a PyTorch team's layout
        >>> predict(lambda x: {"out": x[:, :2, ::4, ::4]}, images, channels_first=True).shape
        (2, 2, 2, 2)
        >>> predict(lambda x: {"out": x[:, :2, ::4, ::4]}, images, channels_first=True, resize="bilinear").shape
        (2, 2, 8, 8)

    Args:
      model: a Keras model or layer (any backend, or tf-keras), a PyTorch module, a Flax
        module, or any function of NumPy images (a JAX `apply`, say).
      images: (N, H, W, C), or (N, C, H, W) with `channels_first`, in any framework.
      channels_first: the model takes (N, C, H, W) and returns (N, K, H, W); `images` and
        the result are in that layout too.
      output: where the logits are in the model's output, if `select_output`'s rule does
        not find them (a key, an index, an attribute name or a function).
      resize: "bilinear" or "nearest" to bring logits of another size (SegFormer's quarter
        size) to the images' size; None leaves them as they come.
    """
    logits = outputs_nhwc(model, as_images(images, channels_first, model), channels_first, output, resize)
    return np.ascontiguousarray(np.moveaxis(logits, -1, 1)) if channels_first else logits
