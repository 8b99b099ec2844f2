"""The main job's text outputs (the terminal table and `report.md`) and its test-set PNGs,
from a run's figures made here by hand, with no training."""

from __future__ import annotations

import numpy as np
from PIL import Image

from unetcheck.job import report
from unetcheck.metrics import per_image_metrics, registry
from unetcheck.pets.trimaps import CLASS_NAMES


def _metrics(passed=True):
    """A verify run's `metrics.json`, its figures those of masks whose IoU is known: the pet
    (class 0) is a 4x4 square predicted one column too wide (IoU 16/20)."""
    truth = np.ones((1, 8, 8), np.int64)
    truth[0, 2:6, 2:6] = 0
    pred = truth.copy()
    pred[0, 2:6, 6] = 0
    per_image = per_image_metrics(truth, pred, 3, class_names=CLASS_NAMES)
    checks = [
        {"name": "label_range", "status": "PASS", "figure": "labels 0..2"},
        {"name": "loss_decrease", "status": "PASS" if passed else "FAIL", "figure": "loss 1.1 | 0.4"},
    ]
    return {
        **registry.flat_figures(per_image.summary(), per_image.statistics),
        "checks": checks,
        "passed": passed,
        "majority_baseline_miou": 0.25,
        "wall_s": 12.0,
        "loss": [1.1, 0.7, 0.4],
        "boundary_ratio": per_image.boundary_ratio,
        "nsd_tolerance": per_image.nsd_tolerance,
        "config": {"data": "synthetic", "size": 8, "batch_size": 1, "seed": 0},
    }


def test_the_per_class_table_holds_each_metric_the_run_measured():
    metrics = _metrics()
    rows = {row[0]: row[1:] for row in report.class_rows(metrics)}
    headings = [heading for heading, key in report.class_columns() if key in metrics]
    assert rows["pet"][headings.index("IoU")] == 16 / 20
    assert set(rows) == set(CLASS_NAMES) and all(len(r) == len(headings) for r in rows.values())
    del metrics["hd95_per_class"]  # a run without a metric: its column goes, the others stay
    assert len(report.class_rows(metrics)[0]) == len(headings)


def test_report_md_shows_the_checks_figures_and_per_class_table(tmp_path):
    text = open(report.write_report_md(_metrics(passed=False), str(tmp_path))).read()
    assert "**Some checks did not pass.**" in text
    assert "| loss_decrease | **FAIL** | loss 1.1 / 0.4 |" in text  # a | in a figure would split the cell
    assert "| label_range | PASS | labels 0..2 |" in text
    pet = next(line for line in text.splitlines() if line.startswith("| pet |"))
    cells = [cell.strip() for cell in pet.strip("|").split("|")]
    assert cells[1] == "0.800"  # IoU 16/20
    assert cells[-2:] == ["0", "0"]  # missed, invented: whole images
    assert "mean IoU **" in text and "3 epochs" in text


def test_the_table_names_failures_and_the_headline():
    table = report.format_table(_metrics(passed=False))
    assert "loss_decrease" in table and "FAIL" in table
    assert table.splitlines()[-1].startswith("mIoU ") and "majority baseline 0.250" in table


def test_the_test_set_pngs_hold_the_class_ids_and_photos(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(2, 6, 5, 3)).astype(np.float32)
    masks, preds = rng.integers(0, 3, (2, 6, 5, 1)), rng.integers(0, 3, (2, 6, 5, 1))
    report.mask_writer(str(tmp_path))(images, masks, preds, ["a", "sub/b"])
    for i, name in enumerate(["a", "sub/b"]):
        truth = np.asarray(Image.open(tmp_path / "truth" / f"{name}.png"))
        pred = np.asarray(Image.open(tmp_path / "predictions" / f"{name}.png"))
        photo = np.asarray(Image.open(tmp_path / "images" / f"{name}.png"))
        np.testing.assert_array_equal(truth, masks[i, ..., 0])
        np.testing.assert_array_equal(pred, preds[i, ..., 0])
        # 8-bit photos: within half a step of 1/255 of the [0, 1] floats.
        np.testing.assert_allclose(photo / 255, images[i], atol=0.5 / 255 + 1e-7)


def test_the_confusion_picture_is_a_titled_png(tmp_path):
    path = report.plot_confusion([[5, 1, 0], [0, 7, 2], [1, 0, 4]], str(tmp_path / "confusion.png"))
    with Image.open(path) as picture:
        assert picture.format == "PNG" and min(picture.size) >= 300  # 100 dpi, over 3 inches a side
