"""The main job in-process: report files, metrics, and resuming an interrupted run."""

from __future__ import annotations

import csv
import dataclasses
import json

import keras
import pytest

from unetcheck.verify import VerifyConfig, format_table, run_verify

# One eager step per epoch (tracing a graph costs more than 3 steps): about the run, not the model.
TINY = VerifyConfig(size=32, epochs=3, batch_size=8, num_train=8, num_test=8, min_loss_drop=0.0,
                    min_miou_margin=-1.0, run_eagerly=True)


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


def test_failed_check_is_reported_not_raised_and_a_fresh_run_starts_over(tmp_path):
    # A finished earlier run left 5 epochs in the folder, and no backup: this run is new.
    (tmp_path / "history.csv").write_text("epoch,loss\n" + "".join(f"{i},1.0\n" for i in range(5)))
    # No loss can fall by 200%: the check must fail, and the run must still finish.
    strict = dataclasses.replace(TINY, epochs=2, min_loss_drop=2.0)
    metrics = run_verify(strict, out_dir=str(tmp_path), verbose=0)
    assert len(metrics["loss"]) == 2  # not appended to the stale 5
    failed = [c for c in metrics["checks"] if not c["passed"]]
    assert "loss_decrease" in [c["name"] for c in failed]
    assert not metrics["passed"]
    assert "FAIL" in format_table(metrics) and "expected at least 2" in format_table(metrics)
