"""The gate's measurement tools (`unetcheck.bench.gate`) on runs made here: the planted drop,
the pairing table, and the power study's trials."""

from __future__ import annotations

import numpy as np
import pytest

from unetcheck.bench import gate
from unetcheck.metrics import per_image_metrics


def _runs(seeds=6, shift=0.0):
    """Each seed a run whose predictions keep a seed-drawn share of each image's pixels; the
    change's runs keep `shift` less of them with the same draws (the same random stream)."""
    truth = np.random.default_rng(0).integers(0, 3, (20, 16, 16))
    runs = {"base": {}, "change": {}}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        draw, noise = rng.uniform(size=truth.shape), rng.integers(0, 3, truth.shape)
        keep = 0.8 + 0.05 * rng.standard_normal()
        for name, share in (("base", keep), ("change", keep - shift)):
            run = per_image_metrics(truth, np.where(draw < share, truth, noise), 3)
            run.seeds = {"training": seed, "data": 0}
            runs[name][seed] = run
    return runs


def test_a_planted_drop_moves_each_classs_correct_pixels_to_the_next():
    truth = np.repeat(np.arange(3), 100).reshape(1, 3, 100)  # three classes, 100 pixels each
    perfect = per_image_metrics(truth, truth, 3)
    dropped = gate.planted(perfect, 0.1).summary()
    # Each class keeps 90 of its pixels, loses 10 to the next and gains 10 from the previous:
    # IoU = 90 / (90 + 10 + 10).
    assert dropped["miou"] == pytest.approx(90 / 110)
    assert dropped["confusion"] == [[90, 10, 0], [0, 90, 10], [10, 0, 90]]


def test_same_seed_pairs_differ_less_than_unpaired_runs():
    rows = gate.pairing(_runs(shift=0.02), "change")
    assert [row.label for row in rows] == ["miou", "IoU[class_0]", "IoU[class_1]", "IoU[class_2]"]
    mean_iou = rows[0]
    assert mean_iou.seeds == 6 and mean_iou.shift < 0 and mean_iou.correlation > 0.9
    assert mean_iou.paired_sd < mean_iou.unpaired_sd / 3


def test_the_power_study_runs_its_trials():
    runs = _runs()
    runs["fault"] = _runs(shift=0.1)["change"]
    study = gate.power(runs, "change", ["fault"], pairs=2, trials=4, drops=(0.05,))
    assert study.pairs == 2 and study.paired and study.false_any == 0.0  # the change changes nothing
    assert study.changes == {"fault": 1.0} and study.planted == {0.05: 1.0}
