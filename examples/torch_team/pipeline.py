"""A PyTorch team's segmentation pipeline: its own U-Net, albumentations, a plain torch loop.

No TensorFlow anywhere. The switches below are the mistakes unetcheck's checks catch;
`mistakes.py` says which check each one fails.
"""

from __future__ import annotations

import json
import os

import albumentations as A
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SIZE = 32
# The planted mistakes examples/harness switches on: a JSON object {SWITCH: value}.
PLANTED = json.loads(os.environ.get("PLANTED_MISTAKES", "{}"))
# PyTorch's "nearest" has no half-pixel centres; "bilinear" invents labels
MASK_RESIZE = PLANTED.pop("MASK_RESIZE", "nearest-exact")
SHIFT_LABELS = PLANTED.pop("SHIFT_LABELS", True)  # Oxford trimaps are 1..3; the model's classes are 0..2
PAIRED_FLIP = PLANTED.pop("PAIRED_FLIP", True)  # one flip decision for image and mask
EVAL_FOR_INFERENCE = PLANTED.pop("EVAL_FOR_INFERENCE", True)  # model.eval() before predicting
# a frozen encoder's BatchNorm must not update its statistics
EVAL_FROZEN_ENCODER = PLANTED.pop("EVAL_FROZEN_ENCODER", True)
LOAD_INTO_ENCODER = PLANTED.pop("LOAD_INTO_ENCODER", True)  # load the encoder checkpoint into model.encoder, strictly
UNUSED_PARAMETER = PLANTED.pop("UNUSED_PARAMETER", False)  # a parameter that forward never uses
IGNORE_VOID = PLANTED.pop("IGNORE_VOID", True)  # the loss leaves out pixels nobody labelled
MIN_PET_SHARE = PLANTED.pop("MIN_PET_SHARE", 0.0)  # a "quality" filter: 0.1 drops the photos of small pets
CYCLE_LOADER = PLANTED.pop("CYCLE_LOADER", True)  # a step past the loader's last batch starts it again
NOISE_STD = PLANTED.pop("NOISE_STD", 0.0)  # 40: augmentation's Gaussian noise baked into every training photo
if PLANTED:
    raise ValueError(f"pipeline.py has no switch {sorted(PLANTED)}")
VOID = 255  # the label of pixels nobody labelled (the team's other data sets have them)
criterion = nn.CrossEntropyLoss(ignore_index=VOID) if IGNORE_VOID else nn.CrossEntropyLoss()


def preprocess(datapoint: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """A TFDS-style example -> (image (3, SIZE, SIZE) in [0, 1], mask (SIZE, SIZE) of class ids)."""
    image = torch.from_numpy(np.ascontiguousarray(datapoint["image"])).permute(2, 0, 1)[None].float()
    image = F.interpolate(image, size=(SIZE, SIZE), mode="bilinear", align_corners=False)[0] / 255.0
    mask = torch.from_numpy(np.ascontiguousarray(datapoint["segmentation_mask"])).permute(2, 0, 1)[None].float()
    resized = F.interpolate(
        mask, size=(SIZE, SIZE), mode=MASK_RESIZE, **({"align_corners": False} if MASK_RESIZE == "bilinear" else {})
    )
    mask = resized[0, 0].long()
    return image, mask - 1 if SHIFT_LABELS else mask


def training_examples(examples: list[dict]) -> list[dict]:
    """The examples the team trains on: those whose pet covers at least MIN_PET_SHARE."""
    kept = [e for e in examples if (np.asarray(e["segmentation_mask"]) == 1).mean() >= MIN_PET_SHARE]
    if NOISE_STD:  # the bug: noise meant for some augmented copies, added to every photo once and for all
        rng = np.random.default_rng(0)
        kept = [
            {**e, "image": np.clip(e["image"] + rng.normal(0, NOISE_STD, e["image"].shape), 0, 255).astype(np.uint8)}
            for e in kept
        ]
    return kept


def augmentation(seed: int = 0):
    """Called as `augment(image=HWC array, mask=HW1 array)`, albumentations' way."""
    flip_and_jitter = A.Compose([A.HorizontalFlip(p=0.5), A.ColorJitter(p=0.5)], seed=seed)
    if PAIRED_FLIP:
        return flip_and_jitter
    mask_flip = A.Compose([A.HorizontalFlip(p=0.5)], seed=seed + 1)

    def separately(image, mask):  # the bug: two independent decisions
        return {"image": flip_and_jitter(image=image)["image"], "mask": mask_flip(image=mask)["image"]}

    return separately


class PetDataset(torch.utils.data.Dataset):
    """TFDS-style examples, augmented, then preprocessed."""

    def __init__(self, examples: list[dict], augment=None) -> None:
        self.examples, self.augment = examples, augment

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int):
        example = self.examples[index]
        if self.augment is not None:
            out = self.augment(image=example["image"], mask=example["segmentation_mask"])
            example = {"image": out["image"], "segmentation_mask": out["mask"]}
        return preprocess(example)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class UNet(nn.Module):
    """A small U-Net, NCHW: a two-stage encoder, one upsampling stage with a skip, logits."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.encoder = nn.ModuleDict({"stem": _block(3, 16), "down": _block(16, 32)})
        self.up = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.fuse = _block(32, 16)
        self.head = nn.Conv2d(16, classes, 1)
        if UNUSED_PARAMETER:
            self.temperature = nn.Parameter(torch.ones(1))  # the bug: forward never uses it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.encoder["stem"](x)
        deep = self.encoder["down"](F.max_pool2d(skip, 2))
        return self.head(self.fuse(torch.cat([self.up(deep), skip], 1)))


def build_model(encoder_checkpoint: dict | None = None, seed: int = 0) -> UNet:
    """The model, with a pretrained encoder loaded and frozen."""
    torch.manual_seed(seed)
    model = UNet()
    if encoder_checkpoint is not None:
        if LOAD_INTO_ENCODER:
            model.encoder.load_state_dict(encoder_checkpoint)
        else:  # the bug: names lack "encoder.", and strict=False hides that nothing loaded
            model.load_state_dict(encoder_checkpoint, strict=False)
    model.encoder.requires_grad_(False)
    return model


def train_step(model: UNet, loader: torch.utils.data.DataLoader, lr: float = 0.01):
    """One optimizer step per call, cycling over `loader`; returns (loss, pixel accuracy)."""
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    batches = iter(loader)

    def step():
        nonlocal batches
        try:
            images, masks = next(batches)
        except StopIteration:
            if not CYCLE_LOADER:  # the bug: one pass over the loader, then nothing
                raise
            batches = iter(loader)
            images, masks = next(batches)
        model.train()
        if EVAL_FROZEN_ENCODER:
            model.encoder.eval()
        optimizer.zero_grad()
        logits = model(images)
        loss = criterion(logits, masks)
        loss.backward()
        optimizer.step()
        labelled = masks != VOID  # pixels nobody labelled are no fault of the model
        return loss.item(), ((logits.argmax(1) == masks) & labelled).sum().item() / labelled.sum().item()

    return step


def for_inference(model: UNet) -> UNet:
    """The model as the team serves it."""
    return model.eval() if EVAL_FOR_INFERENCE else model
