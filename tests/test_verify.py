"""The main job in-process: report files, metrics, and resuming an interrupted run."""

from __future__ import annotations

import csv
import json

import keras
import pytest

from unetcheck.verify import VerifyConfig, format_table, run_verify

TINY = VerifyConfig(size=32, epochs=3, batch_size=8, num_train=16, num_test=8, min_loss_drop=0.0,
                    min_miou_margin=-1.0)  # too short to learn: this test is about the run, not the model


class _Interrupt(keras.callbacks.Callback):
    """Stops the run as a Ctrl-C would, at the start of epoch `at` (0-based)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt(f"interrupted at epoch {epoch}")


def test_interrupted_run_resumes_and_loses_no_finished_epoch(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_verify(TINY, out_dir=str(tmp_path), verbose=0, callbacks=[_Interrupt(at=2)])
    with open(tmp_path / "history.csv") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1"]
    metrics = run_verify(TINY, out_dir=str(tmp_path), verbose=0)
    assert metrics["epochs_run_now"] == 1  # only the epoch that was lost
    with open(tmp_path / "history.csv") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1", "2"]
    assert len(metrics["loss"]) == 3
    assert not (tmp_path / "backup").exists()  # removed once training finished
    # The report is complete.
    for name in ("metrics.json", "loss.png", "predictions.png", "model.keras", "report.md"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert sorted(p.name for p in (tmp_path / "epochs").iterdir()) == [
        "epoch_001.png", "epoch_002.png", "epoch_003.png"]
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert {"miou", "majority_baseline_miou", "checks"} <= set(saved)
    assert {c["name"] for c in saved["checks"]} >= {
        "paired_flip", "label_range", "frozen_encoder", "loss_decrease", "finite_outputs", "save_reload"}
    assert "| save_reload | PASS |" in (tmp_path / "report.md").read_text()
    # A fresh run in the same folder starts over rather than appending to old epochs.
    run_verify(TINY, out_dir=str(tmp_path), verbose=0)
    with open(tmp_path / "history.csv") as f:
        assert len(list(csv.DictReader(f))) == 3


def test_failed_check_is_reported_not_raised():
    # No loss can fall by 200%: the check must fail, and the run must still finish.
    strict = VerifyConfig(size=32, epochs=2, batch_size=8, num_train=8, num_test=8, min_loss_drop=2.0)
    metrics = run_verify(strict, verbose=0)
    failed = [c for c in metrics["checks"] if not c["passed"]]
    assert "loss_decrease" in [c["name"] for c in failed]
    assert not metrics["passed"]
    assert "FAIL" in format_table(metrics) and "expected at least 2" in format_table(metrics)
