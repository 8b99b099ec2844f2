"""A Flax team: a small U-Net in Flax NNX (channels last, BatchNorm), its encoder frozen
through the optimizer's filter, an optax Adam step under `nnx.jit`, NumPy batches.

No TensorFlow, no PyTorch. The switches below are real mistakes; `mistakes.py` says which
check each one fails.
"""

from __future__ import annotations

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

SIZE = 32
# The planted mistakes examples/harness switches on: a JSON object {SWITCH: value}.
PLANTED = json.loads(os.environ.get("PLANTED_MISTAKES", "{}"))
# jax.image.resize smooths when it shrinks unless told not to; the tutorial's resize does not
ANTIALIAS = PLANTED.pop("ANTIALIAS", False)
# the frozen encoder's BatchNorm on running statistics while training
EVAL_FROZEN_ENCODER = PLANTED.pop("EVAL_FROZEN_ENCODER", True)
EVAL_FOR_INFERENCE = PLANTED.pop("EVAL_FOR_INFERENCE", True)  # model.eval() before predicting
LEARNING_RATE = PLANTED.pop("LEARNING_RATE", 1e-2)  # 0.0 trains nothing
SHUFFLE_SEED = PLANTED.pop("SHUFFLE_SEED", 0)  # None draws a new order every run
CYCLE_DATA = PLANTED.pop("CYCLE_DATA", True)  # a step past the last batch starts the data again
if PLANTED:
    raise ValueError(f"pipeline.py has no switch {sorted(PLANTED)}")

#: What the optimizer trains: the decoder's parameters; the encoder is frozen.
TRAINED = nnx.All(nnx.Param, nnx.PathContains("decoder"))


def preprocess(datapoint: dict) -> tuple[jax.Array, jax.Array]:
    """A TFDS-style example -> (image (SIZE, SIZE, 3) in [0, 1], mask (SIZE, SIZE, 1) of 0..2)."""
    image = jnp.asarray(datapoint["image"], jnp.float32)
    image = jax.image.resize(image, (SIZE, SIZE, 3), "bilinear", antialias=ANTIALIAS) / 255.0
    mask = jax.image.resize(jnp.asarray(datapoint["segmentation_mask"]), (SIZE, SIZE, 1), "nearest")
    return image, mask.astype(jnp.int32) - 1


def batches(examples: list[dict], batch_size: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """Preprocessed NumPy (images, masks) batches in a shuffled order."""
    pairs = [preprocess(example) for example in examples]
    order = np.random.default_rng(SHUFFLE_SEED).permutation(len(pairs))
    return [
        (np.stack([np.asarray(pairs[i][0]) for i in chunk]), np.stack([np.asarray(pairs[i][1]) for i in chunk]))
        for chunk in np.array_split(order, len(pairs) // batch_size)
    ]


class Block(nnx.Module):
    def __init__(self, cin: int, cout: int, rngs: nnx.Rngs) -> None:
        self.conv = nnx.Conv(cin, cout, (3, 3), use_bias=False, rngs=rngs)
        self.norm = nnx.BatchNorm(cout, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return nnx.relu(self.norm(self.conv(x)))


class Encoder(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.stem, self.down = Block(3, 16, rngs), Block(16, 32, rngs)

    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        skip = self.stem(x)
        return skip, self.down(nnx.max_pool(skip, (2, 2), (2, 2)))


class Decoder(nnx.Module):
    def __init__(self, classes: int, rngs: nnx.Rngs) -> None:
        self.up = nnx.ConvTranspose(32, 16, (2, 2), strides=(2, 2), rngs=rngs)
        self.fuse = Block(32, 16, rngs)
        self.head = nnx.Conv(16, classes, (1, 1), rngs=rngs)

    def __call__(self, skip: jax.Array, deep: jax.Array) -> jax.Array:
        return self.head(self.fuse(jnp.concatenate([self.up(deep), skip], -1)))


class UNet(nnx.Module):
    """NHWC images -> NHWC logits over 3 classes."""

    def __init__(self, rngs: nnx.Rngs, classes: int = 3) -> None:
        self.encoder, self.decoder = Encoder(rngs), Decoder(classes, rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.decoder(*self.encoder(x))


def build_model(seed: int = 0) -> UNet:
    return UNet(nnx.Rngs(seed))


@nnx.jit
def _step(model: UNet, optimizer: nnx.Optimizer, images: jax.Array, masks: jax.Array):
    def loss_fn(model: UNet):
        logits = model(images)
        return optax.softmax_cross_entropy_with_integer_labels(logits, masks[..., 0]).mean(), logits

    grad_fn = nnx.value_and_grad(loss_fn, argnums=nnx.DiffState(0, TRAINED), has_aux=True)
    (loss, logits), grads = grad_fn(model)
    optimizer.update(model, grads)
    return loss, (logits.argmax(-1) == masks[..., 0]).mean()


def train_step(model: UNet, data: list[tuple[np.ndarray, np.ndarray]]):
    """One Adam step per call on the decoder, cycling over `data`; returns (loss, pixel accuracy)."""
    optimizer = nnx.Optimizer(model, optax.adam(LEARNING_RATE), wrt=TRAINED)
    batches = iter(data)

    def step():
        nonlocal batches
        try:
            images, masks = next(batches)
        except StopIteration:
            if not CYCLE_DATA:  # the bug: one pass over the data, then nothing
                raise
            batches = iter(data)
            images, masks = next(batches)
        model.train()
        if EVAL_FROZEN_ENCODER:
            model.encoder.eval()
        return _step(model, optimizer, images, masks)

    return step


def for_inference(model: UNet) -> UNet:
    if EVAL_FOR_INFERENCE:
        model.eval()
    return model
