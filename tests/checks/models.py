"""Tiny models of each framework for the checks' tests: one Keras, one PyTorch."""

from __future__ import annotations

import keras
import numpy as np
import torch

IMAGES = np.random.default_rng(1).uniform(size=(4, 8, 8, 3)).astype(np.float32)
MASKS = np.random.default_rng(2).integers(0, 3, size=(4, 8, 8, 1)).astype(np.int32)


class TrainingModeNorm(keras.layers.Layer):
    """The bug assert_batch_independent exists for: batch statistics at inference."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm = keras.layers.BatchNormalization()

    def call(self, x, training=None):
        return self.norm(x, training=True)


def tiny_keras(extra=None, seed=0):
    """Conv -> [extra] -> 1x1 conv to 3 logits, compiled with Adam and accuracy. `extra` is
    made before this seeds: give it a seeded initializer if it has random weights."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    if extra is not None:
        x = extra(x)
    outputs = keras.layers.Conv2D(3, 1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


class TorchNet(torch.nn.Module):
    """NCHW: an encoder (conv, BatchNorm, ReLU) and a 1x1 head to 3 logits."""

    def __init__(self, unused_parameter: bool = False) -> None:
        super().__init__()
        self.encoder = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU()
        )
        self.head = torch.nn.Conv2d(8, 3, 1)
        if unused_parameter:
            self.gate = torch.nn.Parameter(torch.ones(8))  # forward never uses it

    def forward(self, x):
        return self.head(self.encoder(x))


def torch_step(net: TorchNet, lr: float = 0.05):
    """A plain PyTorch training step on IMAGES/MASKS: returns (loss, pixel accuracy)."""
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
    images = torch.from_numpy(IMAGES).permute(0, 3, 1, 2)
    masks = torch.from_numpy(MASKS[..., 0]).long()

    def step():
        optimizer.zero_grad()
        logits = net(images)
        loss = torch.nn.functional.cross_entropy(logits, masks)
        loss.backward()
        optimizer.step()
        return loss, (logits.argmax(1) == masks).float().mean()

    return step
