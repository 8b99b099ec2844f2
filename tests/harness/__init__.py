"""Code the tests run in processes of their own: engine parity, tf.distribute steps, the
class_weight probe, loading a model without unetcheck."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HARNESS = Path(__file__).resolve().parent


def predict_without_unetcheck(model_path: Path, images: np.ndarray, scratch: Path) -> np.ndarray:
    """`model_path`'s predictions on `images`, from a process where unetcheck cannot be imported."""
    np.save(scratch / "images.npy", images)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, str(HARNESS / "load_without_unetcheck.py"), str(model_path),
                           str(scratch / "images.npy"), str(scratch / "out.npy")],
                          cwd=scratch, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return np.load(scratch / "out.npy")
