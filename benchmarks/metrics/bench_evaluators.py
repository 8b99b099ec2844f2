"""`unetcheck evaluate` beside the evaluators teams compare it with, on the same masks, in one
process each:

- the Cityscapes benchmark's own evaluator (cityscapesscripts) on 48 Cityscapes-sized PNG pairs
  (1024 x 2048, 19 classes, a void band), for the IoU per class: its figures must equal
  unetcheck's, and the region group must cost no more. Every metric's time is set beside it.
- MONAI's surface distances (NSD + HD95 + ASSD) on a CT volume of 41 organs, against the
  surface group alone.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from bench_metrics import _monai_surface, _unetcheck_surface

from conftest import CASES, SMOKE
from unetcheck.bench import cityscapes, masks
from unetcheck.job.evaluate import evaluate_folders

CASE = next(c for c in CASES if c.name.startswith("cityscapes"))
COPIES = 6
CT = masks.smoke(masks.CT_ORGANS) if SMOKE else masks.CT_ORGANS
FILES = "from PNG files, 1 process"


@pytest.fixture(scope="module")
def folders(case_data, tmp_path_factory):
    """The case's masks, each six times under other names, with a void band along the top of
    every truth (the car's hood Cityscapes leaves unlabelled), in train ids and label ids."""
    truth, pred = case_data(CASE)
    truth = truth.copy()
    truth[:, : max(1, truth.shape[1] // 16)] = cityscapes.VOID
    names = [f"{copy}_{i}" for copy in range(COPIES) for i in range(len(truth))]
    return cityscapes.write_pairs(
        np.tile(truth, (COPIES, 1, 1)), np.tile(pred, (COPIES, 1, 1)), tmp_path_factory.mktemp("cityscapes"), names
    )


def _evaluate(folders, metrics):
    class_names = [name for _, name, _ in cityscapes.train_classes()]
    return evaluate_folders(
        str(folders["truth_train"]),
        str(folders["pred_train"]),
        CASE.classes,
        class_names,
        cityscapes.VOID,
        metrics=metrics,
        workers=1,
        progress=False,
    )


def _evaluator(folders):
    return cityscapes.evaluator_iou(
        sorted(map(str, folders["truth_label"].glob("*.png"))), sorted(map(str, folders["pred_label"].glob("*.png")))
    )


def bench_cityscapes_evaluator(measure, folders):
    measure(CASE, FILES, "cityscapesscripts IoU", functools.partial(_evaluator, folders), memory=False, args=())


def bench_evaluate_region(measure, folders):
    measure(CASE, FILES, "unetcheck", functools.partial(_evaluate, folders, "region"), memory=False, args=())
    ours, theirs = _evaluate(folders, "region").summary()["iou"], _evaluator(folders)
    np.testing.assert_array_equal([ours[name] for name in theirs], list(theirs.values()))  # the same IoU


def bench_evaluate_every_metric(measure, folders):
    measure(CASE, FILES, "unetcheck every metric", functools.partial(_evaluate, folders, None), memory=False, args=())


@pytest.fixture(scope="module")
def ct_masks():
    return masks.case_masks(CT)


@pytest.mark.parametrize("library", ["unetcheck", "monai"])
def bench_ct_organs_surface(measure, ct_masks, library):
    fn = {"unetcheck": _unetcheck_surface, "monai": _monai_surface}[library]
    measure(CT, "NSD+HD95+ASSD", library, fn, rounds=1 if library == "monai" else 3, args=(*ct_masks, CT))
