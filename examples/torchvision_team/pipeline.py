"""A torchvision team: DeepLabV3 (MobileNetV3 backbone, random weights: nothing is
downloaded) with its auxiliary head, `transforms.v2` on `tv_tensors`, the loss of
torchvision's reference training script (main output plus half the auxiliary one).

The model returns `{"out": ..., "aux": ...}`, both at the input's size. The switches below
are real mistakes; `mistakes.py` says which check each one fails.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from torchvision import tv_tensors
from torchvision.models.segmentation import deeplabv3_mobilenet_v3_large
from torchvision.transforms import InterpolationMode, v2

SIZE = 64
# The planted mistakes examples/harness switches on: a JSON object {SWITCH: value}.
PLANTED = json.loads(os.environ.get("PLANTED_MISTAKES", "{}"))
# v2.Resize's own choice for masks, "nearest", has no half-pixel centres
MASK_INTERPOLATION = PLANTED.pop("MASK_INTERPOLATION", "nearest-exact")
# a mask passed as a plain tensor is left untouched by v2's transforms
MASK_AS_TV_TENSOR = PLANTED.pop("MASK_AS_TV_TENSOR", True)
# the auxiliary head's loss, weighted 0.5; without it that head never trains
AUX_IN_LOSS = PLANTED.pop("AUX_IN_LOSS", True)
EVAL_FOR_INFERENCE = PLANTED.pop("EVAL_FOR_INFERENCE", True)  # model.eval() before predicting
# a checkpoint saved from DataParallel names its keys "module.*"
STRIP_MODULE_PREFIX = PLANTED.pop("STRIP_MODULE_PREFIX", True)
if PLANTED:
    raise ValueError(f"pipeline.py has no switch {sorted(PLANTED)}")


def preprocess(datapoint: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """A TFDS-style example -> (image (3, SIZE, SIZE) float in [0, 1], mask (1, SIZE, SIZE) of 0..2).

    The image is made float before resizing (resizing uint8 rounds) and resized without
    antialiasing, as the tutorial's `tf.image.resize`; the mask nearest with half-pixel centres.
    """
    image = tv_tensors.Image(torch.from_numpy(np.ascontiguousarray(datapoint["image"])).permute(2, 0, 1))
    image = v2.functional.resize(
        v2.functional.to_dtype(image, torch.float32, scale=True), [SIZE, SIZE], antialias=False
    )
    mask = tv_tensors.Mask(torch.from_numpy(np.ascontiguousarray(datapoint["segmentation_mask"])).permute(2, 0, 1))
    mask = v2.functional.resize(mask, [SIZE, SIZE], interpolation=InterpolationMode(MASK_INTERPOLATION))
    return image, mask.long() - 1


def augmentation():
    """Called as `augment(image, mask)` on one (C, H, W) image and its (1, H, W) mask."""
    transforms = v2.Compose([v2.RandomHorizontalFlip(p=0.5), v2.ColorJitter(brightness=0.2)])

    def augment(image, mask):
        mask = torch.as_tensor(mask)
        return transforms(
            tv_tensors.Image(torch.as_tensor(image)), tv_tensors.Mask(mask) if MASK_AS_TV_TENSOR else mask
        )

    return augment


class PetDataset(torch.utils.data.Dataset):
    def __init__(self, examples: list[dict], augment=None) -> None:
        self.examples, self.augment = examples, augment

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int):
        image, mask = preprocess(self.examples[index])
        if self.augment is not None:
            image, mask = self.augment(image, mask)
        return image, mask[0]


def build_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=3, aux_loss=True)


def criterion(outputs: dict, masks: torch.Tensor) -> torch.Tensor:
    loss = F.cross_entropy(outputs["out"], masks)
    return loss + 0.5 * F.cross_entropy(outputs["aux"], masks) if AUX_IN_LOSS else loss


def train_step(model: torch.nn.Module, loader: torch.utils.data.DataLoader, lr: float = 1e-3):
    """One optimizer step per call, cycling over `loader`; returns the loss."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    batches = iter(())

    def step():
        nonlocal batches
        batch = next(batches, None)
        if batch is None:
            batches = iter(loader)
            batch = next(batches)
        images, masks = batch
        model.train()
        optimizer.zero_grad()
        loss = criterion(model(images), masks)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def load_checkpoint(model: torch.nn.Module, state: dict) -> torch.nn.Module:
    """Loads a checkpoint saved from `nn.DataParallel(model)`; strict=False tolerates a
    torchvision version whose model gained a buffer."""
    if STRIP_MODULE_PREFIX:
        state = dict(state)
        torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(state, "module.")
    model.load_state_dict(state, strict=False)
    return model


def for_inference(model: torch.nn.Module) -> torch.nn.Module:
    return model.eval() if EVAL_FOR_INFERENCE else model
