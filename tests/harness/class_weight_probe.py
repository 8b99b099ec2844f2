"""What `model.fit(class_weight=...)` does with per-pixel targets on the installed Keras.

The tutorial says it raises `ValueError: class_weight not supported for 3+ dimensional
targets`. Keras 3 removed that check: depending on how the data is passed it now fails
cryptically, or trains, or (on a GPU, or on later Keras) trains with wrong weights.
`probe_class_weight` runs each case on a tiny model so the suite can pin the outcome.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

#: The three ways the tutorial's call can be made.
CASES = ("numpy_nhw1", "tfdata_nhw1", "tfdata_nhw")
TUTORIAL_CLASS_WEIGHT = {0: 2.0, 1: 2.0, 2: 1.0}


def _tiny_model(num_classes: int) -> keras.Model:
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Conv2D(num_classes, 1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.SGD(0.0),  # lr 0: the loss reads the same weights throughout
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _key_line(message: str) -> str:
    """The line of an error that says what went wrong (TF graph errors lead with noise)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    for line in lines:
        if "indices" in line or "scalar" in line or "class_weight" in line:
            return line
    return lines[0] if lines else ""


def probe_class_weight(case: str, seed: int = 0) -> dict[str, Any]:
    """Runs `fit(class_weight=TUTORIAL_CLASS_WEIGHT)` one epoch for `case`.

    Returns:
      `{"outcome": "ok" | exception class name, "message": str, "loss": float | None,
      "explicit_weight_loss": float | None}`; for "ok", `explicit_weight_loss` is the loss
      of the same step with per-pixel `sample_weight` of each pixel's class weight.

    Raises:
      ValueError: an unknown case.
    """
    import tensorflow as tf

    if case not in CASES:
        raise ValueError(f"unknown case {case!r}; choose one of {CASES}")
    rng = np.random.default_rng(seed)
    images = rng.uniform(size=(4, 8, 8, 3)).astype("float32")
    masks = rng.integers(0, 3, size=(4, 8, 8, 1)).astype("int32")
    if case == "tfdata_nhw":
        masks = masks[..., 0]
    keras.utils.set_random_seed(seed)
    model = _tiny_model(3)
    initial = model.get_weights()
    if case == "numpy_nhw1":
        data: dict[str, Any] = {"x": images, "y": masks, "batch_size": 4}
    else:
        data = {"x": tf.data.Dataset.from_tensor_slices((images, masks)).batch(4), "shuffle": False}
    try:
        history = model.fit(**data, class_weight=TUTORIAL_CLASS_WEIGHT, epochs=1, verbose=0)
    except Exception as err:  # the point is to record whichever error Keras raises
        return {
            "outcome": type(err).__name__,
            "message": _key_line(str(err)),
            "loss": None,
            "explicit_weight_loss": None,
        }
    loss = float(history.history["loss"][0])
    model.set_weights(initial)
    table = np.array([TUTORIAL_CLASS_WEIGHT[c] for c in range(3)], "float32")
    weights = table[masks]
    explicit = float(model.evaluate(images, masks, sample_weight=weights, batch_size=4, verbose=0))
    return {"outcome": "ok", "message": "", "loss": loss, "explicit_weight_loss": explicit}
