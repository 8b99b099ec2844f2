"""A segmentation_models_pytorch team: smp's Unet on a ResNet-18 encoder (random weights:
nothing is downloaded) with a classification head (`aux_params`), the encoder frozen,
smp's DiceLoss on the masks and a presence loss on the head.

With `aux_params` the model returns `(masks, labels)`. The switches below are real
mistakes; `mistakes.py` says which check each one fails.
"""

from __future__ import annotations

import json
import os

import numpy as np
import segmentation_models_pytorch as smp
import torch
import torch.nn.functional as F

SIZE = 64
CLASSES = 3
# The planted mistakes examples/harness switches on: a JSON object {SWITCH: value}.
PLANTED = json.loads(os.environ.get("PLANTED_MISTAKES", "{}"))
# a frozen encoder's BatchNorm must not update its statistics either
EVAL_FROZEN_ENCODER = PLANTED.pop("EVAL_FROZEN_ENCODER", True)
# True feeds probabilities to DiceLoss(from_logits=True), which applies a softmax
SOFTMAX_BEFORE_LOSS = PLANTED.pop("SOFTMAX_BEFORE_LOSS", False)
LEARNING_RATE = PLANTED.pop("LEARNING_RATE", 1e-3)  # 0.0 trains nothing
if PLANTED:
    raise ValueError(f"pipeline.py has no switch {sorted(PLANTED)}")


def preprocess(datapoint: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """A TFDS-style example -> (image (3, SIZE, SIZE) in [0, 1], mask (SIZE, SIZE) of 0..2)."""
    image = torch.from_numpy(np.ascontiguousarray(datapoint["image"])).permute(2, 0, 1)[None].float()
    image = F.interpolate(image, size=(SIZE, SIZE), mode="bilinear", align_corners=False)[0] / 255.0
    mask = torch.from_numpy(np.ascontiguousarray(datapoint["segmentation_mask"])).permute(2, 0, 1)[None].float()
    return image, F.interpolate(mask, size=(SIZE, SIZE), mode="nearest-exact")[0, 0].long() - 1


class PetDataset(torch.utils.data.Dataset):
    def __init__(self, examples: list[dict]) -> None:
        self.examples = examples

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int):
        return preprocess(self.examples[index])


def build_model(seed: int = 0) -> smp.Unet:
    """The Unet with its encoder frozen (`requires_grad_(False)`)."""
    torch.manual_seed(seed)
    model = smp.Unet(
        encoder_name="resnet18", encoder_weights=None, in_channels=3, classes=CLASSES, aux_params={"classes": CLASSES}
    )
    model.encoder.requires_grad_(False)
    return model


dice = smp.losses.DiceLoss(mode="multiclass", from_logits=True)


def loss_inputs(outputs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """What the losses are given: the mask logits (from_logits=True) and the head's logits."""
    masks, labels = outputs
    return (masks.softmax(1) if SOFTMAX_BEFORE_LOSS else masks), labels


def criterion(outputs: tuple[torch.Tensor, torch.Tensor], masks: torch.Tensor) -> torch.Tensor:
    mask_logits, label_logits = loss_inputs(outputs)
    present = F.one_hot(masks, CLASSES).amax((1, 2)).float()  # which classes each image holds
    return dice(mask_logits, masks) + F.binary_cross_entropy_with_logits(label_logits, present)


def train_step(model: smp.Unet, loader: torch.utils.data.DataLoader):
    """One optimizer step per call on the decoder and heads, cycling over `loader`."""
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=LEARNING_RATE)
    batches = iter(())

    def step():
        nonlocal batches
        batch = next(batches, None)
        if batch is None:
            batches = iter(loader)
            batch = next(batches)
        images, masks = batch
        model.train()
        if EVAL_FROZEN_ENCODER:
            model.encoder.eval()
        optimizer.zero_grad()
        loss = criterion(model(images), masks)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step
