"""`unetcheck evaluate` agrees with the Cityscapes benchmark's own evaluator (cityscapesscripts)
on masks written in the benchmark's label ids: the IoU of every class, exactly."""

from __future__ import annotations

import numpy as np

from unetcheck.bench import cityscapes
from unetcheck.job.evaluate import evaluate_folders


def test_evaluate_gives_the_cityscapes_evaluators_iou_per_class(tmp_path):
    rng = np.random.default_rng(0)
    classes = cityscapes.train_classes()
    truth = rng.integers(0, 19, (3, 6, 8)).repeat(8, axis=1).repeat(8, axis=2)  # 48 x 64, blocks of 8
    pred = np.where(rng.uniform(size=truth.shape) < 0.3, rng.integers(0, 19, truth.shape), truth)
    truth[:, :4] = cityscapes.VOID  # the benchmark leaves these pixels out of every class
    truth[truth == 18] = 17  # bicycle in no truth: its IoU is 0 where predicted, never undefined here
    pred[pred == 18] = 17
    pred[0, 10:20, 10:20] = 18  # ... now predicted once: IoU 0 for both
    folders = cityscapes.write_pairs(truth, pred, tmp_path, ["a", "b", "c"])
    theirs = cityscapes.evaluator_iou(
        [str(folders["truth_label"] / f"{n}.png") for n in "abc"],
        [str(folders["pred_label"] / f"{n}.png") for n in "abc"],
    )
    ours = evaluate_folders(
        str(folders["truth_train"]),
        str(folders["pred_train"]),
        19,
        [n for _, n, _ in classes],
        cityscapes.VOID,
        metrics="region",
        progress=False,
    ).summary()["iou"]
    assert list(theirs) == [name for _, name, _ in classes]
    np.testing.assert_array_equal([ours[name] for name in theirs], list(theirs.values()))  # counts: exact
    assert theirs["bicycle"] == 0.0 and 0 < theirs["road"] < 1
