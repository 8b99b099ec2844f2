"""The command line, run the way users run it: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import ROOT


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "unetcheck", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_verify_quick_trains_checks_and_writes_metrics(tmp_path):
    # Smaller than --quick's data to keep the suite fast; same code path.
    proc = _run("verify", "--quick", "--size", "32", "--num-train", "48", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in ("paired_flip", "label_range", "frozen_encoder", "loss_decrease", "finite_outputs"):
        assert f"{name}" in proc.stdout
    assert "FAIL" not in proc.stdout
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert {"miou", "majority_baseline_miou", "checks"} <= set(metrics)
    assert metrics["miou"] > metrics["majority_baseline_miou"]
    assert all(check["passed"] for check in metrics["checks"])


def test_bad_argument_is_a_clear_error():
    proc = _run("verify", "--size", "100")
    assert proc.returncode == 2
    assert "input_size 100 cannot be taken" in proc.stderr
    proc = _run("verify", "--class-weights", "a,b")
    assert proc.returncode == 2 and "class weights must be" in proc.stderr
