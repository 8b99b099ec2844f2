"""The command line, in-process; tests/test_data.py runs it once in a subprocess, as users do."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
import tensorflow as tf

from unetcheck.cli import main


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    # --quick at 32x32, 48 images, 4 epochs, to keep the suite fast (measured mIoU 0.42 against
    # a majority baseline of 0.28, where 0.38 is needed); same code path. In-process
    # (TensorFlow's import is paid once): validate-data proves the subprocess entry point.
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
        code = main(["verify", "--quick", "--size", "32", "--num-train", "48", "--epochs", "4", "--out", str(out)])
    return out, code, stdout.getvalue()


def test_verify_quick_trains_checks_and_writes_report(report):
    out, code, stdout = report
    assert code == 0, stdout[-3000:]
    assert "Epoch 4/4" in stdout and "loss:" in stdout  # Keras's progress display
    for name in ("paired_flip", "label_range", "frozen_encoder", "loss_decrease", "finite_outputs",
                 "save_reload", "beats_majority_baseline"):
        assert f"{name}" in stdout
    assert "FAIL" not in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["miou"] > metrics["majority_baseline_miou"]
    assert all(check["passed"] for check in metrics["checks"])


def test_predict_writes_masks_the_size_of_each_image(report, tmp_path, capsys):
    out = report[0]
    rng = np.random.default_rng(0)
    images = []
    for name, shape, encode in (("a.png", (50, 70, 3), tf.io.encode_png), ("b.jpg", (33, 41, 3), tf.io.encode_jpeg)):
        path = tmp_path / name
        tf.io.write_file(str(path), encode(rng.integers(0, 255, shape).astype(np.uint8)))
        images.append((path, shape))
    # In-process: the subprocess path of the command line is proven by the verify test.
    assert main(["predict", "--model", str(out / "model.keras"), "--out", str(tmp_path / "masks"),
                 *(str(p) for p, _ in images)]) == 0
    for path, shape in images:
        mask = tf.io.decode_png(tf.io.read_file(str(tmp_path / "masks" / f"{path.stem}_mask.png"))).numpy()
        assert mask.shape == shape[:2] + (1,)
        assert set(np.unique(mask)) <= {1, 2, 3}  # Oxford trimap values
        assert (tmp_path / "masks" / f"{path.stem}_overlay.png").exists()
    assert main(["predict", "--model", str(out / "model.keras"), "--out", str(tmp_path),
                 str(tmp_path / "nope.png")]) == 2
    assert "no image file" in capsys.readouterr().err


def test_bad_argument_is_a_clear_error(capsys):
    assert main(["verify", "--size", "100", "--out", "unused"]) == 2
    assert "input_size 100 cannot be taken" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse's own exit for a malformed option
        main(["verify", "--class-weights", "a,b"])
    assert exit_info.value.code == 2 and "class weights must be" in capsys.readouterr().err
