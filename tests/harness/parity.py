"""One model, every engine: logits and one training step of the reference, for comparing.

The Keras backend is fixed when Keras is imported, so each backend runs in its own
process:

    KERAS_BACKEND=jax python -m tests.harness.parity --weights W.weights.h5 --batch B.npz --out OUT.npz

loads the reference U-Net's weights, computes the logits of the batch in inference
mode, takes one SGD step on it and writes the logits, the loss and every weight after
the step. Only the Keras API is used, so the same code runs on TensorFlow, JAX and
PyTorch. `jit_compile` selects XLA where the backend has a choice.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

#: SGD, not Adam, for parity: Adam's first step is lr * sign(gradient), so a gradient
#: near zero that rounds to the other sign moves a weight by 2 * lr.
LEARNING_RATE = 0.1


def write_reference_inputs(folder: str | os.PathLike, num_images: int, seed: int, size: int = 32) -> tuple[str, str]:
    """Writes a calibrated reference model's weights and a batch of synthetic pets, for subprocesses.

    Returns:
      the paths of `ref.weights.h5` and `batch.npz` (float32 `images`, int32 `masks` 0..2).
    """
    import keras

    from unetcheck.pets.synthetic import synthetic_example
    from unetcheck.reference.model import calibrate_encoder, unet_model

    examples = [synthetic_example((seed, i), size, size) for i in range(num_images)]
    images = np.stack([e["image"] for e in examples]).astype(np.float32) / 255.0
    masks = np.stack([e["segmentation_mask"] for e in examples]).astype(np.int32) - 1
    keras.utils.set_random_seed(0)
    model = unet_model(input_size=size)
    calibrate_encoder(model, images)
    weights, batch = os.path.join(folder, "ref.weights.h5"), os.path.join(folder, "batch.npz")
    model.save_weights(weights)
    np.savez(batch, images=images, masks=masks)
    return weights, batch


def step_outputs(
    weights_path: str,
    images: np.ndarray,
    masks: np.ndarray,
    jit_compile: Any = "auto",
    size: int | None = None,
    batchnorm_epsilon: float | None = None,
) -> dict[str, np.ndarray]:
    """Logits, then the loss of and weights after one SGD step of the reference on (images, masks).

    `batchnorm_epsilon` plants a porting slip: every BatchNormalization's epsilon set to it
    (Keras's default is 1e-3, PyTorch's 1e-5), to show the parity bounds catch one.
    """
    import keras

    from unetcheck.reference.model import unet_model

    model = unet_model(input_size=size or images.shape[1])
    model.load_weights(weights_path)
    if batchnorm_epsilon is not None:
        for layer in model._flatten_layers():
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.epsilon = batchnorm_epsilon
    model.compile(
        optimizer=keras.optimizers.SGD(LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    # predict() runs the compiled (XLA where jit_compile) inference function.
    logits = np.asarray(model.predict(images, batch_size=len(images), verbose=0))
    loss = model.train_on_batch(images, masks)
    out = {"logits": logits, "loss": np.asarray(loss, np.float64)}
    for i, weight in enumerate(model.weights):
        out[f"w{i:03d}"] = keras.ops.convert_to_numpy(weight)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.harness.parity", description=__doc__)
    parser.add_argument("--weights", required=True, help="a .weights.h5 of unet_model at the batch's size")
    parser.add_argument("--batch", required=True, help="an .npz with 'images' (float32) and 'masks' (int)")
    parser.add_argument("--out", required=True, help="where to write the .npz of results")
    parser.add_argument("--jit-compile", choices=("auto", "true", "false"), default="auto")
    args = parser.parse_args(argv)
    batch = np.load(args.batch)
    jit = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    results = step_outputs(args.weights, batch["images"], batch["masks"], jit_compile=jit)
    import keras

    np.savez(args.out, backend=np.array(keras.backend.backend()), **results)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
