"""The Cityscapes benchmark's own evaluator (cityscapesscripts), set beside `unetcheck evaluate`
on the same masks: masks in the benchmark's 19 train ids (void 255), written both as train-id
PNGs (what a model predicts, what `unetcheck evaluate` reads) and as the label-id PNGs the
evaluator reads (train id -> its label id; void -> "unlabeled").

Needs `cityscapesscripts` (in the `test` extra), imported only when called.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: The void train id of the benchmark's configurations.
VOID = 255


def train_classes() -> list[tuple[int, str, int]]:
    """(train id, name, label id) of the 19 evaluated classes, in train-id order."""
    from cityscapesscripts.helpers.labels import labels

    return sorted((label.trainId, label.name, label.id) for label in labels if 0 <= label.trainId < VOID)


def to_label_ids(train_ids: np.ndarray) -> np.ndarray:
    """Train ids as the benchmark's label ids (uint8); void as label 0, "unlabeled"."""
    lookup = np.zeros(256, np.uint8)
    for train_id, _, label_id in train_classes():
        lookup[train_id] = label_id
    return lookup[train_ids]


def write_pairs(truth: np.ndarray, pred: np.ndarray, root: str | os.PathLike, names: Sequence[str]) -> dict[str, Path]:
    """Writes each (truth, prediction) pair of train-id masks as PNGs, twice: train ids under
    `truth_train/` and `pred_train/`, label ids under `truth_label/` and `pred_label/`.
    Returns the four folders."""
    from PIL import Image

    folders = {kind: Path(root) / kind for kind in ("truth_train", "pred_train", "truth_label", "pred_label")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    for name, t, p in zip(names, truth, pred):
        for kind, labels in (("truth", t), ("pred", p)):
            Image.fromarray(labels.astype(np.uint8)).save(folders[f"{kind}_train"] / f"{name}.png")
            Image.fromarray(to_label_ids(labels)).save(folders[f"{kind}_label"] / f"{name}.png")
    return folders


def evaluator_iou(truth_files: Sequence[str], pred_files: Sequence[str]) -> dict[str, float]:
    """The evaluator's IoU per class (by name) over label-id PNGs, as its
    `evaluateImgLists` computes it: pixel level only, nothing printed or written."""
    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as evaluator

    args = evaluator.args
    args.evalInstLevelScore, args.evalPixelAccuracy, args.JSONOutput, args.quiet = False, False, False, True
    result = evaluator.evaluateImgLists(list(pred_files), list(truth_files), args)
    return {name: float(result["classScores"][name]) for _, name, _ in train_classes()}
