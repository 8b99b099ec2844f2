"""The command line. One verify run, shared by this file's tests, is the suite's trained
reference: the main job's own checks (frozen encoder, every decoder weight trained, loss
falling, beating the majority baseline, ...) must all pass on it."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.harness import unetcheck_out_of_reach
from tests.paths import FIXTURES, ROOT
from unetcheck.job.cli import main

pytestmark = pytest.mark.long  # the main job's shared verify run: started first (conftest.py)

CHECK_NAMES = [
    "paired_flip",
    "label_range",
    "frozen_encoder",
    "decoder_trained",
    "loss_decrease",
    "finite_outputs",
    "save_reload",
    "beats_majority_baseline",
]


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    """`unetcheck verify --quick` at 32x32, 128 images, 2 epochs, in-process (TensorFlow's
    import is paid once; test_compare_... runs the entry point in a process of its own)."""
    out = tmp_path_factory.mktemp("verify")
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
        code = main(["verify", "--quick", "--size", "32", "--num-train", "128", "--epochs", "2", "--out", str(out)])
    return out, code, stdout.getvalue(), json.loads((out / "metrics.json").read_text())


def test_verify_trains_passes_every_check_and_writes_the_report(verified):
    out, code, stdout, metrics = verified
    assert code == 0, stdout[-3000:]
    assert [(c["name"], c["status"]) for c in metrics["checks"]] == [(name, "PASS") for name in CHECK_NAMES]
    # Measured on this configuration: mIoU 0.469 against a majority baseline of 0.281, the loss
    # down 42% (the job asks for 20%): a run 0.08 worse in mIoU still passes (other CPUs round
    # differently); one that did not learn does not.
    assert metrics["miou"] >= metrics["majority_baseline_miou"] + 0.1
    assert "Epoch 2/2" in stdout and "loss:" in stdout  # Keras's progress display
    for name in (
        "metrics.json",
        "per_image.json",
        "loss.png",
        "confusion.png",
        "predictions.png",
        "model.keras",
        "report.md",
        "history.csv",
        "data_train.json",
        "data_test.json",
    ):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text()
    assert all(f"| {name} | PASS |" in report for name in CHECK_NAMES)
    assert "| class | IoU | Dice | boundary IoU | precision | recall | NSD | HD95 (px) | ASSD (px) |" in report
    assert "| pet | " in report and "mean NSD" in report
    for key in (
        "boundary_iou_per_class",
        "precision_per_class",
        "recall_per_class",
        "nsd_per_class",
        "hd95_per_class",
        "assd_per_class",
    ):
        assert set(metrics[key]) == {"pet", "background", "border"}, key
    # The synthetic splits are drawn apart: no test photo copies a training one.
    assert metrics["leakage"]["leaked_test_images"] == 0 and metrics["leakage"]["pairs"] == []
    assert "## Train/test leakage\n\nNo test photo is a copy of a training photo" in report
    assert json.loads((out / "per_image.json").read_text())["format"] == "unetcheck.per_image/4"


def test_the_written_model_loads_and_predicts_identically_without_unetcheck(verified, monkeypatch):
    import keras

    path = verified[0] / "model.keras"
    images = np.random.default_rng(0).uniform(size=(3, 32, 32, 3)).astype(np.float32)
    here = np.asarray(keras.models.load_model(path)(images, training=False))
    unetcheck_out_of_reach(monkeypatch)
    np.testing.assert_array_equal(np.asarray(keras.models.load_model(path)(images, training=False)), here)


def test_a_model_that_needs_unetcheck_does_not_load_out_of_its_reach(tmp_path, monkeypatch):
    """What makes the test above able to fail: a model with one of unetcheck's layers."""
    import keras

    from unetcheck.reference.fast_layers import FusedBatchNormalization

    keras.Sequential([keras.Input((4, 4, 2)), FusedBatchNormalization()]).save(tmp_path / "fast.keras")
    keras.models.load_model(tmp_path / "fast.keras")
    unetcheck_out_of_reach(monkeypatch)
    with pytest.raises(TypeError, match="FusedBatchNormalization"):
        keras.models.load_model(tmp_path / "fast.keras")


def test_predict_writes_masks_the_size_of_each_image(verified, tmp_path, capsys):
    out = verified[0]
    rng = np.random.default_rng(0)
    images = []
    for name, shape, encode in (("a.png", (50, 70, 3), tf.io.encode_png), ("b.jpg", (33, 41, 3), tf.io.encode_jpeg)):
        path = tmp_path / name
        tf.io.write_file(str(path), encode(rng.integers(0, 255, shape).astype(np.uint8)))
        images.append((path, shape))
    assert (
        main(
            [
                "predict",
                "--model",
                str(out / "model.keras"),
                "--out",
                str(tmp_path / "masks"),
                *(str(p) for p, _ in images),
            ]
        )
        == 0
    )
    for path, shape in images:
        mask = tf.io.decode_png(tf.io.read_file(str(tmp_path / "masks" / f"{path.stem}_mask.png"))).numpy()
        assert mask.shape == shape[:2] + (1,)
        assert set(np.unique(mask)) <= {1, 2, 3}  # Oxford trimap values
        assert (tmp_path / "masks" / f"{path.stem}_overlay.png").exists()
    # A missing image among good ones: named before the model loads and any mask is written.
    capsys.readouterr()
    assert (
        main(
            [
                "predict",
                "--model",
                str(out / "model.keras"),
                "--out",
                str(tmp_path / "partial"),
                str(images[0][0]),
                str(tmp_path / "nope.png"),
            ]
        )
        == 2
    )
    assert "no image file at '" in capsys.readouterr().err and not (tmp_path / "partial").exists()


def test_bad_input_is_exit_2_and_anything_else_a_traceback(capsys, monkeypatch):
    assert main(["verify", "--size", "100", "--out", "unused"]) == 2
    assert "input_size 100 cannot be taken" in capsys.readouterr().err
    assert main(["verify", "--epochs", "0", "--out", "unused"]) == 2
    assert "epochs must be a positive int" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse's own exit for a malformed option
        main(["verify", "--class-weights", "a,b"])
    assert exit_info.value.code == 2 and "class weights must be" in capsys.readouterr().err

    def internal_error(*args, **kwargs):
        raise ValueError("Expected a symbolic tensor")  # e.g. from inside Keras

    monkeypatch.setattr("unetcheck.job.run.run_verify", internal_error)
    with pytest.raises(ValueError, match="Expected a symbolic tensor"):  # shown with its traceback
        main(["verify", "--out", "unused"])


def test_validate_data_lists_every_bad_file(capsys, tmp_path):
    assert main(["validate-data", "--data", str(FIXTURES / "oxford_broken"), "--json", str(tmp_path / "r.json")]) == 1
    out = capsys.readouterr().out
    assert "6 bad example(s):" in out and "train/boxer_303: trimap" in out
    assert len(json.loads((tmp_path / "r.json").read_text())["bad"]) == 6


def test_validate_data_ok_and_missing(capsys, tmp_path):
    assert main(["validate-data", "--data", str(FIXTURES / "oxford_tiny")]) == 0
    out = capsys.readouterr().out
    assert "train: 8 usable examples" in out and "no bad examples" in out
    assert main(["validate-data", "--data", str(tmp_path / "nowhere")]) == 2
    assert "unknown data source" in capsys.readouterr().err


def test_compare_exit_codes_tables_and_refusals(verified, tmp_path, capsys):
    from unetcheck.metrics import PerImageMetrics

    out = verified[0]
    baseline = PerImageMetrics.load(out)
    assert len(baseline) == verified[3]["examples"]["test"] and baseline.fingerprint == verified[3]["test_fingerprint"]
    assert baseline.summary()["miou"] == pytest.approx(verified[3]["miou"])
    assert main(["compare", str(out), str(out / "per_image.json"), "--markdown", str(tmp_path / "c.md")]) == 0
    assert "no regression" in capsys.readouterr().out and "| miou |" in (tmp_path / "c.md").read_text()
    # A candidate that predicts the majority class everywhere: a regression, exit 1.
    worse = PerImageMetrics.load(out)
    totals = worse.confusion.sum(2)  # true pixels per class
    worse.confusion = np.zeros_like(worse.confusion)
    worse.confusion[:, :, 1] = totals
    worse.boundary_intersection = np.zeros_like(worse.boundary_intersection)
    worse.save(tmp_path / "worse.json")
    assert main(["compare", str(out), str(tmp_path / "worse.json"), "--json", str(tmp_path / "c.json")]) == 1
    assert "REGRESSION in" in capsys.readouterr().out
    assert "miou" in json.loads((tmp_path / "c.json").read_text())["regressed"]
    assert main(["compare", str(out), str(out), str(tmp_path / "worse.json")]) == 1  # two baseline runs
    assert "2 baseline runs" in capsys.readouterr().out
    assert (
        main(["compare", str(out), str(tmp_path / "worse.json"), str(tmp_path / "worse.json"), "--candidates", "2"])
        == 1
    )  # one baseline run, two candidate runs
    assert "1 baseline run and 2 candidate runs" in capsys.readouterr().out
    assert (
        main(["compare", str(out), str(tmp_path / "worse.json"), "--per-figure", "--json", str(tmp_path / "c.json")])
        == 1
    )
    assert "each interval at 95% on its own" in capsys.readouterr().out
    assert json.loads((tmp_path / "c.json").read_text())["simultaneous"] is False
    assert main(["compare", str(out)]) == 2
    assert "give at least one baseline run and the 1 candidate run(s)" in capsys.readouterr().err
    assert main(["compare", str(out), str(out), "--candidates", "2"]) == 2
    assert "(--candidates 2); got 2 run(s)" in capsys.readouterr().err
    other = PerImageMetrics.load(out)
    other.fingerprint = "0" * 64
    other.save(tmp_path / "other.json")
    # As users run it, in a process of its own (compare needs NumPy alone: no TensorFlow to import).
    refused = subprocess.run(
        [sys.executable, "-m", "unetcheck", "compare", str(out), str(tmp_path / "other.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "fingerprints differ" in refused.stderr and "Traceback" not in refused.stderr


def test_compare_names_a_change_in_the_training_data(verified, tmp_path, capsys):
    # The candidate's run trained on half the examples (its profile says so); its test
    # metrics alone may pass the gate. A copy of the same run is the same data.
    import shutil

    from unetcheck.checks.data_profile import DataProfile

    out = verified[0]
    assert verified[3]["data"]["train"]["examples"] == 128
    same, halved = tmp_path / "same", tmp_path / "halved"
    for folder in (same, halved):
        shutil.copytree(out, folder, ignore=shutil.ignore_patterns("*.keras", "*.png", "epochs"))
    assert main(["compare", str(out), str(same)]) == 0
    profile = DataProfile.load(out / "data_train.json")
    kept = slice(0, 64)
    DataProfile(
        profile.num_classes,
        profile.heights[kept],
        profile.widths[kept],
        profile.shares[kept],
        profile.means[kept],
        profile.class_names,
    ).save(halved / "data_train.json")
    assert main(["compare", str(out), str(halved), "--json", str(tmp_path / "c.json")]) == 1
    assert "DATA CHANGED in train: examples 128 -> 64 (-50%)" in capsys.readouterr().out
    assert json.loads((tmp_path / "c.json").read_text())["data_changes"] == {"train": ["examples 128 -> 64 (-50%)"]}


def test_a_verify_run_and_an_evaluate_run_of_its_masks_are_one_test_set(verified, tmp_path, capsys):
    """verify writes its test masks as PNGs; evaluate measures them again: the same fingerprint
    (one recipe: the true masks and the names), the same figures, a comparison with no note."""
    from unetcheck.metrics import PerImageMetrics

    out = verified[0]
    assert (
        main(
            [
                "evaluate",
                str(out / "truth"),
                str(out / "predictions"),
                "--num-classes",
                "3",
                "--class-names",
                "pet,background,border",
                "--images",
                str(out / "images"),
                "--out",
                str(tmp_path / "ev"),
            ]
        )
        == 0
    )
    run, again = PerImageMetrics.load(out), PerImageMetrics.load(tmp_path / "ev")
    assert again.fingerprint == run.fingerprint and again.names == run.names
    assert again.summary() == run.summary()
    capsys.readouterr()
    assert main(["compare", str(out), str(tmp_path / "ev")]) == 0
    assert "note:" not in capsys.readouterr().out
    # A run written by an earlier unetcheck (format 3: a fingerprint of its photos and masks) is
    # matched by its names, and the comparison says so.
    record = json.loads((out / "per_image.json").read_text())
    record["format"], record["fingerprint"] = "unetcheck.per_image/3", "0" * 64
    del record["fingerprint_recipe"]
    (tmp_path / "old.json").write_text(json.dumps(record))
    assert main(["compare", str(tmp_path / "old.json"), str(out)]) == 0
    assert "note: the test sets are matched by their image names only" in capsys.readouterr().out


def test_every_json_file_the_command_line_writes_is_strict(verified, tmp_path, capsys):
    """RFC 8259: no NaN or Infinity, as JavaScript's JSON.parse and jq read it. The runs here hold
    undefined figures (a class absent from both masks) and infinite per-image distances."""
    from tests.harness import strict_loads

    out = verified[0]
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    from PIL import Image

    for i, block in enumerate(np.random.default_rng(0).integers(0, 2, (4, 4, 4))):
        mask = np.kron(block, np.ones((8, 8), np.uint8)).astype(np.uint8)
        for folder, labels in ((truth, mask), (pred, np.zeros_like(mask) if i == 0 else mask)):
            folder.mkdir(exist_ok=True)
            Image.fromarray(labels).save(folder / f"{i}.png")  # class 2 in no mask; class 1 missed in image 0
    assert main(["evaluate", str(truth), str(pred), "--num-classes", "3", "--out", str(tmp_path / "ev")]) == 0
    assert main(["compare", str(tmp_path / "ev"), str(tmp_path / "ev"), "--json", str(tmp_path / "c.json")]) == 0
    assert main(["validate-data", "--data", str(FIXTURES / "oxford_broken"), "--json", str(tmp_path / "v.json")]) == 1
    written = [*out.glob("*.json"), *(tmp_path / "ev").glob("*.json"), tmp_path / "c.json", tmp_path / "v.json"]
    assert len(written) >= 8
    for path in written:
        strict_loads(path.read_text())
    summary = strict_loads((tmp_path / "ev" / "summary.json").read_text())
    assert summary["iou_per_class"]["class_2"] is None and summary["missed_per_class"]["class_1"] == 1
    # The distances average the images where both masks hold the class: finite, not inf.
    assert all(isinstance(summary["hd95_per_class"][c], float) for c in ("class_0", "class_1"))
    assert "inf" in (tmp_path / "ev" / "per_image.json").read_text()  # image 0's HD95 of class 1, as a string


def test_the_verify_page_shows_its_checks_and_figures(verified, chromium_browser, tmp_path):
    from tests.harness.browser import open_page, shown_figures
    from unetcheck.job.page import format_figure

    out, _, _, metrics = verified
    said, images, page = open_page(chromium_browser, out / "report.html", tmp_path / "verify.png")
    assert said == [] and images and all(complete and width > 0 for complete, width in images), (said, images)
    shown = shown_figures(page)
    for key in ("miou", "pixel_accuracy", "mean_dice", "mean_nsd", "mean_hd95"):
        assert shown[key] == format_figure(metrics[key], key), key
    assert shown["iou:pet"] == format_figure(metrics["iou_per_class"]["pet"])
    assert [cell.inner_text() for cell in page.locator("#checks tbody td:first-child").all()] == CHECK_NAMES
    assert "All checks passed." in page.inner_text("body")
    assert "drawn over the photos in" in page.inner_text("body")  # the test photos verify wrote


@pytest.mark.parametrize("command", ["verify", "validate-data", "predict", "evaluate", "compare", "bench"])
def test_every_commands_help_prints(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0 and f"usage: unetcheck {command}" in capsys.readouterr().out
