"""unetcheck's metrics beside MONAI's and torchmetrics', on the same masks, one image (volume)
at a time as a team evaluates: surface distances (NSD + HD95 + ASSD together) and region
metrics (IoU + Dice). MONAI takes one-hot tensors: making them is part of its cost.
torchmetrics has no NSD, HD95 or ASSD (its Hausdorff distance builds every pair of
pixels: 255 GB at 1024 x 2048), so it appears for the region metrics only."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from conftest import CASES
from unetcheck.metrics.scores import confusion_matrix, dice_per_class, iou_per_class
from unetcheck.metrics.surface import surface_metrics

TOLERANCE = 2.0  # NSD's, in the case's spacing units
cases = pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])


def _one_hot(labels, classes):
    import torch

    tensor = torch.from_numpy(labels.astype(np.int64))[None]
    return torch.nn.functional.one_hot(tensor, classes).movedim(-1, 1).float()


def _monai_surface(truth, pred, case):
    from monai.metrics import compute_average_surface_distance, compute_hausdorff_distance, compute_surface_dice

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MONAI warns about classes absent from a mask
        for t, p in zip(truth, pred):
            y, y_pred = _one_hot(t, case.classes), _one_hot(p, case.classes)
            options = {"include_background": True, "spacing": case.spacing}
            compute_surface_dice(y_pred, y, [TOLERANCE] * case.classes, **options)
            compute_hausdorff_distance(y_pred, y, percentile=95, **options)
            compute_average_surface_distance(y_pred, y, symmetric=True, **options)


def _unetcheck_surface(truth, pred, case):
    for t, p in zip(truth, pred):
        surface_metrics(t, p, case.classes, TOLERANCE, spacing=case.spacing)


@cases
@pytest.mark.parametrize("library", ["unetcheck", "monai"])
def bench_surface_distances(measure, case, library):
    fn = {"unetcheck": _unetcheck_surface, "monai": _monai_surface}[library]
    measure(case, "NSD+HD95+ASSD", library, fn, rounds=3)


def _unetcheck_region(truth, pred, case):
    for t, p in zip(truth, pred):
        confusion = confusion_matrix(t, p, case.classes)
        iou_per_class(confusion), dice_per_class(confusion)


def _monai_region(truth, pred, case):
    from monai.metrics import compute_dice, compute_iou

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t, p in zip(truth, pred):
            y, y_pred = _one_hot(t, case.classes), _one_hot(p, case.classes)
            compute_iou(y_pred, y, include_background=True), compute_dice(y_pred, y, include_background=True)


def _torchmetrics_region(truth, pred, case):
    import torch
    from torchmetrics.segmentation import DiceScore, MeanIoU

    for t, p in zip(truth, pred):
        y, y_pred = torch.from_numpy(t.astype(np.int64))[None], torch.from_numpy(p.astype(np.int64))[None]
        iou = MeanIoU(num_classes=case.classes, per_class=True, input_format="index")
        dice = DiceScore(num_classes=case.classes, average="none", input_format="index")
        iou.update(y_pred, y), dice.update(y_pred, y)
        iou.compute(), dice.compute()


@cases
@pytest.mark.parametrize("library", ["unetcheck", "monai", "torchmetrics"])
def bench_region_metrics(measure, case, library):
    fn = {"unetcheck": _unetcheck_region, "monai": _monai_region, "torchmetrics": _torchmetrics_region}[library]
    measure(case, "IoU+Dice", library, fn, rounds=5)
