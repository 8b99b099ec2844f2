"""The main job in-process: a run's life (fresh, interrupted, resumed; checks that fail or error
reported, never raised; bad examples left out and reported, a filtered TFDS test split read)."""

from __future__ import annotations

import csv
import dataclasses
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from unetcheck.job import report as report_files
from unetcheck.job.config import VerifyConfig
from unetcheck.job.report import format_table
from unetcheck.job.run import leakage_report, run_verify
from unetcheck.pets.synthetic import synthetic_example
from unetcheck.reference.sources import synthetic_pets

pytestmark = pytest.mark.long  # the job's life: fresh, interrupted and resumed runs: started first (conftest.py)

# One eager step per epoch (tracing a graph costs more than 3 steps): about the run, not the model.
TINY = VerifyConfig(
    size=32, epochs=3, batch_size=8, num_train=8, num_test=8, min_loss_drop=0.0, min_miou_margin=-1.0, run_eagerly=True
)


class _Interrupt(keras.callbacks.Callback):
    """Stops the run as a Ctrl-C would, at the start of epoch `at` (0-based)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt(f"interrupted at epoch {epoch}")


def _tfds_with_bad_examples(self, split, *args, **kwargs):
    """Oxford-like TFDS splits of 4 training and 3 test examples; the second of each has
    trimap values outside 1..3 (left out under `skip_bad`)."""
    train = str(split).startswith("train")
    examples = []
    for i in range(4 if train else 3):
        example = synthetic_example((train, i), 40, 50)
        if i == 1:
            example["segmentation_mask"] = np.full((40, 50, 1), 9, np.uint8)
        examples.append({**example, "file_name": f"{split}_{i}"})
    return tf.data.Dataset.from_generator(
        lambda: iter(examples),
        output_signature={
            "image": tf.TensorSpec((None, None, 3), tf.uint8),
            "segmentation_mask": tf.TensorSpec((None, None, 1), tf.uint8),
            "file_name": tf.TensorSpec((), tf.string),
        },
    )


def test_a_fresh_run_forgets_old_epochs_an_interrupted_one_resumes_and_checks_are_rows(tmp_path, monkeypatch):
    """One run of the job through its life: started in a folder that a finished earlier run
    left (its history must be forgotten), interrupted (no finished epoch may be lost),
    resumed; its checks fail or error as rows, never raised, and the report is written.
    Its data is TFDS with a bad example in each split, left out under `skip_bad` and
    reported: the filtered test split has an unknown length, and the label check must
    still read it."""
    (tmp_path / "history.csv").write_text("epoch,loss\n" + "".join(f"{i},1.0\n" for i in range(5)))

    def broken(*args, **kwargs):
        raise RuntimeError("the check itself broke")

    monkeypatch.setattr("unetcheck.checks.assert_finite", broken)
    # 3 usable training images, 2 test images: one step per epoch. No loss can fall by 200%:
    # that check fails.
    strict = dataclasses.replace(TINY, data="tfds", skip_bad=True, batch_size=2, min_loss_drop=2.0)
    with tfds.testing.mock_data(as_dataset_fn=_tfds_with_bad_examples):
        with pytest.raises(KeyboardInterrupt):
            run_verify(strict, out_dir=str(tmp_path), verbose=0, callbacks=[_Interrupt(at=2)])
        with open(tmp_path / "history.csv") as f:
            assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1"]  # not appended to the stale 5
        metrics = run_verify(strict, out_dir=str(tmp_path), verbose=0)
    assert metrics["epochs_run_now"] == 1  # only the epoch that was lost
    with open(tmp_path / "history.csv") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1", "2"]
    assert len(metrics["loss"]) == 3
    assert not (tmp_path / "backup").exists()  # removed once training finished
    for name in ("metrics.json", "per_image.json", "loss.png", "predictions.png", "model.keras", "report.md"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert sorted(p.name for p in (tmp_path / "epochs").iterdir()) == [
        "epoch_001.png",
        "epoch_002.png",
        "epoch_003.png",
    ]
    rows = {c["name"]: (c["status"], c["figure"]) for c in metrics["checks"]}
    assert rows["loss_decrease"][0] == "FAIL" and "expected at least 2" in rows["loss_decrease"][1]
    assert rows["finite_outputs"] == ("ERROR", "RuntimeError: the check itself broke")
    assert rows["label_range"][0] == rows["paired_flip"][0] == rows["save_reload"][0] == "PASS", rows
    assert not metrics["passed"]
    assert json.loads((tmp_path / "metrics.json").read_text())["checks"] == metrics["checks"]
    table, report = format_table(metrics), (tmp_path / "report.md").read_text()
    assert "FAIL" in table and "ERROR" in table
    assert "| finite_outputs | **ERROR** | RuntimeError: the check itself broke |" in report
    assert "| loss_decrease | **FAIL** |" in report and "| save_reload | PASS |" in report
    assert metrics["examples"] == {"train": 3, "test": 2}
    assert [b["name"] for b in metrics["skipped"]] == ["train_1", "test_1"]
    assert "skipped 2 bad example(s):" in table


def test_the_leakage_report_names_test_photos_copied_from_training(tmp_path):
    source = synthetic_pets(num_train=6, num_test=4, seed=0, min_size=48, max_size=64)
    assert leakage_report(source)["leaked_test_images"] == 0
    train = list(source.split("train").as_numpy_iterator())
    copied = dict(train[2], file_name=b"copy_of_train_2.jpg", image=train[2]["image"][:, ::-1])  # mirrored
    leaky = dataclasses.replace(
        source,
        splits={**source.splits, "test": source.split("test").concatenate(tf.data.Dataset.from_tensors(copied))},
        num_examples={"train": 6, "test": 5},
    )
    report = leakage_report(leaky)
    assert report["leaked_test_images"] == 1 and report["exact_pairs"] == 0
    pair = report["pairs"][0]
    assert pair["test"] == "copy_of_train_2.jpg" and pair["train"] == train[2]["file_name"].decode()
    assert pair["mirrored"] and pair["distance"] == 0
    section = report_files._leakage_section({"leakage": report})
    assert "**1 test photo(s) are copies of training photos**" in section
    assert f"| {pair['train']} | copy_of_train_2.jpg | 0 | yes |" in section
