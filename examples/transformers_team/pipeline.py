"""A transformers team: SegFormer (a tiny configuration, random weights: nothing is
downloaded) trained with the loss the model computes itself from `labels=`.

Its logits come back in a `SemanticSegmenterOutput` at a quarter of the input size; the
masks are upsampled bilinearly to the image size, as transformers' own post-processing
does. The switches below are real mistakes; `mistakes.py` says which check each one fails.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from transformers import SegformerConfig, SegformerForSemanticSegmentation

SIZE = 32
IGNORE_INDEX = 255  # SegformerConfig.semantic_loss_ignore_index
# The planted mistakes examples/harness switches on: a JSON object {SWITCH: value}.
PLANTED = json.loads(os.environ.get("PLANTED_MISTAKES", "{}"))
# trimap 1..3 -> classes 0..2 (0 -> IGNORE_INDEX), as the image processor's do_reduce_labels
REDUCE_LABELS = PLANTED.pop("REDUCE_LABELS", True)
# model.eval(): the decode head's BatchNorm on running statistics
EVAL_FOR_INFERENCE = PLANTED.pop("EVAL_FOR_INFERENCE", True)
LEARNING_RATE = PLANTED.pop("LEARNING_RATE", 3e-3)  # 0.0 trains nothing
if PLANTED:
    raise ValueError(f"pipeline.py has no switch {sorted(PLANTED)}")


def preprocess(datapoint: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """A TFDS-style example -> (pixel_values (3, SIZE, SIZE) in [0, 1], labels (SIZE, SIZE))."""
    image = torch.from_numpy(np.ascontiguousarray(datapoint["image"])).permute(2, 0, 1)[None].float()
    image = F.interpolate(image, size=(SIZE, SIZE), mode="bilinear", align_corners=False)[0] / 255.0
    trimap = torch.from_numpy(np.ascontiguousarray(datapoint["segmentation_mask"])).permute(2, 0, 1)[None].float()
    labels = F.interpolate(trimap, size=(SIZE, SIZE), mode="nearest-exact")[0, 0].long()
    if REDUCE_LABELS:
        labels = torch.where(labels == 0, IGNORE_INDEX, labels - 1)
    return image, labels


class PetDataset(torch.utils.data.Dataset):
    """Dict examples, as transformers' Trainer takes them."""

    def __init__(self, examples: list[dict]) -> None:
        self.examples = examples

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict:
        pixel_values, labels = preprocess(self.examples[index])
        return {"pixel_values": pixel_values, "labels": labels}


def build_model(seed: int = 0) -> SegformerForSemanticSegmentation:
    torch.manual_seed(seed)
    config = SegformerConfig(
        num_labels=3,
        depths=[1, 1, 1, 1],
        hidden_sizes=[8, 16, 32, 64],
        num_attention_heads=[1, 1, 2, 4],
        mlp_ratios=[2, 2, 2, 2],
        decoder_hidden_size=32,
        semantic_loss_ignore_index=IGNORE_INDEX,
    )
    return SegformerForSemanticSegmentation(config)


def train_step(model: SegformerForSemanticSegmentation, loader: torch.utils.data.DataLoader):
    """One AdamW step per call, cycling over `loader`; returns the model's own loss."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    batches = iter(())

    def step():
        nonlocal batches
        batch = next(batches, None)
        if batch is None:
            batches = iter(loader)
            batch = next(batches)
        model.train()
        optimizer.zero_grad()
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def masks(model: SegformerForSemanticSegmentation, pixel_values: torch.Tensor) -> torch.Tensor:
    """Class ids at the image size: the quarter-size logits upsampled, then the argmax."""
    with torch.no_grad():
        logits = model(pixel_values).logits
    return F.interpolate(logits, size=pixel_values.shape[-2:], mode="bilinear", align_corners=False).argmax(1)


def for_inference(model: SegformerForSemanticSegmentation) -> SegformerForSemanticSegmentation:
    return model.eval() if EVAL_FOR_INFERENCE else model
