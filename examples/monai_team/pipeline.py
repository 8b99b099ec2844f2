"""A MONAI team's 2-D segmentation: MONAI dictionary transforms and DataLoader, MONAI's
UNet with BatchNorm, DiceCELoss, a plain PyTorch loop.

No TensorFlow. The switches below are real mistakes; `mistakes.py` says which check each
one fails, and `make test-team-monai_team` proves it.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch
from monai.data import DataLoader, Dataset
from monai.losses import DiceCELoss
from monai.networks.layers import Norm
from monai.networks.nets import UNet
from monai.transforms import (
    Compose,
    EnsureChannelFirstd,
    Lambdad,
    RandFlipd,
    RandScaleIntensityd,
    Resized,
    ScaleIntensityRanged,
)

SIZE = 32
KEYS = ("image", "label")
# The planted mistakes examples/harness switches on: a JSON object {SWITCH: value}.
PLANTED = json.loads(os.environ.get("PLANTED_MISTAKES", "{}"))
# one RandFlipd over both keys; False flips image and label with two draws
PAIRED_FLIP = PLANTED.pop("PAIRED_FLIP", True)
# True ends the network in a softmax, and DiceCELoss(softmax=True) applies a second one
SOFTMAX_HEAD = PLANTED.pop("SOFTMAX_HEAD", False)
LEARNING_RATE = PLANTED.pop("LEARNING_RATE", 1e-2)  # 0.0 trains nothing
# model.eval() before predicting: BatchNorm on running statistics
EVAL_FOR_INFERENCE = PLANTED.pop("EVAL_FOR_INFERENCE", True)
if PLANTED:
    raise ValueError(f"pipeline.py has no switch {sorted(PLANTED)}")


def _as_monai(datapoint: dict) -> dict:
    """A TFDS-style example (image (H, W, 3) uint8, trimap (H, W, 1) in 1..3) as MONAI's keys."""
    return {
        "image": np.asarray(datapoint["image"], np.float32),
        "label": np.asarray(datapoint["segmentation_mask"], np.float32),
    }


def preprocessing() -> Compose:
    """Channel first, image to [0, 1], both resized (the label nearest, with half-pixel
    centres), trimap 1..3 to classes 0..2."""
    return Compose(
        [
            EnsureChannelFirstd(keys=KEYS, channel_dim=-1),
            ScaleIntensityRanged(keys="image", a_min=0, a_max=255, b_min=0, b_max=1),
            Resized(keys=KEYS, spatial_size=(SIZE, SIZE), mode=("bilinear", "nearest-exact")),
            Lambdad(keys="label", func=lambda label: label - 1),
        ]
    )


def preprocess(datapoint: dict):
    """One example -> (image (3, SIZE, SIZE), label (1, SIZE, SIZE)), as the loader makes them."""
    out = preprocessing()(_as_monai(datapoint))
    return out["image"], out["label"].long()


def augmentation(seed: int = 0) -> Compose:
    """Called as `augment({"image": (C, H, W), "label": (1, H, W)})`, MONAI's way."""
    if PAIRED_FLIP:
        flips = [RandFlipd(keys=KEYS, prob=0.5, spatial_axis=1)]
    else:  # the bug: two transforms, two random draws
        flips = [RandFlipd(keys="image", prob=0.5, spatial_axis=1), RandFlipd(keys="label", prob=0.5, spatial_axis=1)]
    augment = Compose([*flips, RandScaleIntensityd(keys="image", factors=0.1, prob=0.5)])
    augment.set_random_state(seed)
    return augment


def loader(examples: list[dict], batch_size: int = 8, seed: int = 0) -> DataLoader:
    """Preprocessed, augmented dict batches {"image": (B, 3, H, W), "label": (B, 1, H, W)}."""
    transforms = Compose([preprocessing(), augmentation(seed), Lambdad(keys="label", func=lambda t: t.long())])
    dataset = Dataset([_as_monai(example) for example in examples], transform=transforms)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))


def build_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    net = UNet(
        spatial_dims=2,
        in_channels=3,
        out_channels=3,
        channels=(8, 16, 32),
        strides=(2, 2),
        num_res_units=1,
        norm=Norm.BATCH,
    )
    return torch.nn.Sequential(net, torch.nn.Softmax(dim=1)) if SOFTMAX_HEAD else net


def loss_function() -> DiceCELoss:
    """Dice plus cross-entropy on logits (softmax=True applies the softmax inside)."""
    return DiceCELoss(to_onehot_y=True, softmax=True)


def train_step(model: torch.nn.Module, batches: DataLoader):
    """One optimizer step per call, cycling over `batches`; returns the loss."""
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn, it = loss_function(), iter(())

    def step():
        nonlocal it
        batch = next(it, None)
        if batch is None:
            it = iter(batches)
            batch = next(it)
        model.train()
        optimizer.zero_grad()
        loss = loss_fn(model(batch["image"]), batch["label"])
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def for_inference(model: torch.nn.Module) -> torch.nn.Module:
    return model.eval() if EVAL_FOR_INFERENCE else model
