"""`unetcheck evaluate`: masks on disk in every supported format give the figures the arrays
give, an artifact `compare` reads, the same bytes with more workers, and one error naming
every bad file."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from unetcheck.job.cli import main
from unetcheck.job.evaluate import evaluate_folders
from unetcheck.metrics.per_image import PerImageMetrics, per_image_metrics


def _masks(count=5, shape=(40, 56), seed=0):
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 3, (count, 4, 4))
    truth = np.stack([np.kron(b, np.ones((shape[0] // 4, shape[1] // 4), np.int64)) for b in blocks])
    pred = np.roll(truth, 2, axis=-1)
    return truth, pred


def _write(folder, name, labels, fmt):
    path = folder / f"{name}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "png":
        Image.fromarray(labels.astype(np.uint8)).save(path)
    elif fmt == "npy":
        np.save(path, labels.astype(np.int32))
    return path


def _evaluate(tmp_path, out, *options):
    """`unetcheck evaluate` of the fixture's truth and pred folders with 3 classes: its exit code."""
    return main(
        ["evaluate", str(tmp_path / "truth"), str(tmp_path / "pred"), "--num-classes", "3", *options, "--out", str(out)]
    )


@pytest.fixture
def folders(tmp_path):
    """True masks as PNG in two subfolders, predictions as .npy, matched by name."""
    truth, pred = _masks()
    names = [f"{'a' if i < 3 else 'b'}/im{i}" for i in range(len(truth))]
    for name, t, p in zip(names, truth, pred):
        _write(tmp_path / "truth", name, t, "png")
        _write(tmp_path / "pred", name, p, "npy")
    return tmp_path, truth, pred, names


def test_masks_on_disk_give_the_arrays_figures(folders, capsys):
    tmp_path, truth, pred, names = folders
    code = _evaluate(tmp_path, str(tmp_path / "out"), "--class-names", "pet,background,border")
    assert code == 0
    printed = capsys.readouterr().out
    assert "mean IoU" in printed and "HD95 (px)" in printed and "wrote" in printed
    loaded = PerImageMetrics.load(tmp_path / "out")
    expected = per_image_metrics(truth, pred, 3, names=names, class_names=("pet", "background", "border"))
    assert loaded.names == names and loaded.summary() == expected.summary()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["images"] == 5 and summary["miou"] == expected.summary()["miou"]
    assert set(summary["hd95_per_class"]) == {"pet", "background", "border"}
    # Ready for compare: the same run against itself is no regression.
    assert main(["compare", str(tmp_path / "out"), str(tmp_path / "out")]) == 0


def test_two_workers_write_the_same_bytes(folders):
    tmp_path = folders[0]
    for workers in (1, 2):  # here, beside PyTorch and pytest's threads, the workers spawn
        assert _evaluate(tmp_path, str(tmp_path / f"out{workers}"), "--workers", str(workers)) == 0
    assert (tmp_path / "out1" / "per_image.json").read_bytes() == (tmp_path / "out2" / "per_image.json").read_bytes()
    # As users run it, in a Python of its own (on Linux the workers fork there).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "unetcheck",
            "evaluate",
            str(tmp_path / "truth"),
            str(tmp_path / "pred"),
            "--num-classes",
            "3",
            "--workers",
            "2",
            "--out",
            str(tmp_path / "cli"),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    assert (tmp_path / "cli" / "per_image.json").read_bytes() == (tmp_path / "out1" / "per_image.json").read_bytes()


def test_palette_and_16_bit_pngs_hold_class_ids(tmp_path):
    truth, pred = _masks(count=2)
    palette = Image.fromarray(truth[0].astype(np.uint8), mode="P")
    palette.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)  # Pascal VOC stores indices so
    (tmp_path / "t").mkdir()
    palette.save(tmp_path / "t" / "x.png")
    Image.fromarray(truth[1].astype(np.uint16)).save(tmp_path / "t" / "y.png")
    _write(tmp_path / "p", "x", pred[0], "npy")
    _write(tmp_path / "p", "y", pred[1], "npy")
    measured = evaluate_folders(str(tmp_path / "t"), str(tmp_path / "p"), 3)
    assert measured.summary() == per_image_metrics(truth, pred, 3, names=["x", "y"]).summary()


def test_nifti_volumes_bring_their_spacing(tmp_path):
    import nibabel  # the evaluate extra's NIfTI reader

    rng = np.random.default_rng(2)
    truth = np.kron(rng.integers(0, 2, (2, 2, 3, 3)), np.ones((1, 5, 4, 4), np.int64))
    pred = np.roll(truth, 1, axis=1)
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    for i in range(2):
        for folder, labels in (("t", truth[i]), ("p", pred[i])):
            image = nibabel.Nifti1Image(labels.astype(np.int16), np.diag([2.5, 0.8, 0.8, 1.0]))
            nibabel.save(image, tmp_path / folder / f"case{i}.nii.gz")
    measured = evaluate_folders(str(tmp_path / "t"), str(tmp_path / "p"), 2)
    assert measured.spacing == (2.5, 0.8, 0.8)
    expected = per_image_metrics(truth, pred, 2, names=["case0", "case1"], spacing=(2.5, 0.8, 0.8))
    assert measured.summary() == expected.summary()
    # A pred with another voxel size is named.
    nibabel.save(
        nibabel.Nifti1Image(pred[1].astype(np.int16), np.diag([1.0, 0.8, 0.8, 1.0])), tmp_path / "p" / "case1.nii.gz"
    )
    assert (
        main(
            ["evaluate", str(tmp_path / "t"), str(tmp_path / "p"), "--num-classes", "2", "--out", str(tmp_path / "out")]
        )
        == 2
    )


def test_every_bad_file_is_named_at_once(folders, capsys):
    tmp_path = folders[0]
    (tmp_path / "pred" / "b" / "im4.npy").unlink()  # unmatched truth
    _write(tmp_path / "pred", "a/extra", np.zeros((40, 56)), "npy")  # unmatched prediction
    (tmp_path / "truth" / "a" / "im1.png").write_text("not a png")  # unreadable
    np.save(tmp_path / "pred" / "a" / "im2.npy", np.zeros((8, 8), np.int32))  # mis-sized
    Image.new("RGB", (56, 40)).save(tmp_path / "truth" / "b" / "im3.png")  # a photo, not a mask
    assert _evaluate(tmp_path, str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert "5 problem(s) with the masks" in err
    for expected in (
        "im4.png: no prediction named 'b/im4'",
        "extra.npy: no truth named 'a/extra'",
        "im1.png: unreadable",
        "im2.npy: shape (8, 8), but its truth",
        "im3.png: unreadable (a RGB picture, not a label mask",
    ):
        assert expected in err, expected
    assert not (tmp_path / "out").exists()


def test_labels_outside_the_classes_name_the_image(folders, capsys):
    tmp_path = folders[0]
    np.save(tmp_path / "pred" / "a" / "im0.npy", np.full((40, 56), 7, np.int32))
    assert _evaluate(tmp_path, str(tmp_path / "out")) == 2
    assert "image 'a/im0': y_pred holds labels in [7, 7], outside [0, 3)" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "truth"), str(tmp_path / "nowhere"), "--num-classes", "3"]) == 2
    assert "is not a folder of masks" in capsys.readouterr().err


def test_evaluate_measures_what_it_is_asked_with_intervals(folders, capsys):
    tmp_path = folders[0]
    assert _evaluate(tmp_path, str(tmp_path / "region"), "--metrics", "iou") == 0
    printed = capsys.readouterr().out
    summary = json.loads((tmp_path / "region" / "summary.json").read_text())
    assert summary["groups"] == ["region"] and "mean_hd95" not in summary and "HD95" not in printed
    low, high = summary["intervals"]["figures"]["miou"]
    assert low <= summary["miou"] <= high and summary["intervals"]["resamples"] == 2000
    assert f"mean IoU                 {summary['miou']:.4f}  [{low:.4f}, {high:.4f}]" in printed
    assert _evaluate(tmp_path, str(tmp_path / "all"), "--no-intervals", "--missing-distance", "diagonal") == 0
    summary = json.loads((tmp_path / "all" / "summary.json").read_text())
    assert "intervals" not in summary and summary["missing_distance"] == "diagonal"
    assert _evaluate(tmp_path, str(tmp_path / "bad"), "--metrics", "sharpness") == 2
    assert "no metric or group named ['sharpness']" in capsys.readouterr().err
