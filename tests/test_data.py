"""load_source's one switch, validate-data, and every source through the main job."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.paths import FIXTURES, ROOT
from unetcheck.checks import assert_labels_in_range
from unetcheck.cli import main
from unetcheck.data import describe_source, load_source
from unetcheck.pipeline import make_pipelines
from unetcheck.verify import VerifyConfig, format_table, run_verify


def test_switch_picks_the_source():
    assert load_source("synthetic", num_train=2, num_test=1).name == "synthetic"
    assert load_source(str(FIXTURES / "oxford_tiny")).num_examples == {"train": 8, "test": 4}
    with pytest.raises(ValueError, match="no longer resolves"):
        load_source("tfds:3.*.*")
    with pytest.raises(ValueError, match="unknown data source 'imagenet'"):
        load_source("imagenet")
    with pytest.raises(ValueError, match="--data-dir is for --data tfds"):
        load_source(str(FIXTURES / "oxford_tiny"), data_dir="x")


def test_describe_counts_sizes_and_class_shares():
    report = describe_source(load_source(str(FIXTURES / "oxford_tiny")))
    train = report["splits"]["train"]
    assert report["ok"] and train["examples"] == 8
    assert train["height"] == [60, 109] and train["width"] == [89, 110]  # as the fixture script wrote them
    assert sum(train["pixel_share"].values()) == pytest.approx(1.0)
    assert train["pixel_share"]["background"] > train["pixel_share"]["pet"] > train["pixel_share"]["border"] > 0


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "unetcheck", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_validate_data_cli_in_a_subprocess(tmp_path):
    bad = _cli("validate-data", "--data", str(FIXTURES / "oxford_broken"), "--json", str(tmp_path / "r.json"))
    assert bad.returncode == 1
    assert "6 bad example(s):" in bad.stdout and "train/boxer_303: trimap" in bad.stdout
    assert len(json.loads((tmp_path / "r.json").read_text())["bad"]) == 6


def test_validate_data_ok_and_missing(capsys, tmp_path):
    assert main(["validate-data", "--data", str(FIXTURES / "oxford_tiny")]) == 0
    out = capsys.readouterr().out
    assert "train: 8 usable examples" in out and "no bad examples" in out
    assert main(["validate-data", "--data", str(tmp_path / "nowhere")]) == 2
    assert "unknown data source" in capsys.readouterr().err


def test_every_source_flows_through_the_same_pipeline():
    for data, options in (("synthetic", {"num_train": 4, "num_test": 2}), (str(FIXTURES / "oxford_tiny"), {})):
        pipes = make_pipelines(load_source(data, **options), size=32, batch_size=2)
        images, masks = next(iter(pipes.train))
        assert images.shape == (2, 32, 32, 3) and masks.shape == (2, 32, 32, 1)
        assert_labels_in_range(pipes.test, 3)


def test_main_job_reports_skipped_examples(tmp_path):
    config = VerifyConfig(data=str(FIXTURES / "oxford_broken"), skip_bad=True, size=32, epochs=2, batch_size=2,
                          min_loss_drop=0.0, min_miou_margin=-1.0, run_eagerly=True)  # 3 images: the path only
    metrics = run_verify(config, verbose=0)
    assert metrics["examples"] == {"train": 2, "test": 1}
    assert [b["name"] for b in metrics["skipped"]][:2] == ["Bengal_302", "boxer_303"]
    assert "skipped 6 bad example(s):" in format_table(metrics)
