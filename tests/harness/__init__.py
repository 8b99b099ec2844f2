"""Code the tests run in processes of their own (engine parity, tf.distribute steps, the
class_weight probe, loading a model without unetcheck), and helpers they share."""

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


def count_traces(model) -> list:
    """A list that grows by one each time TensorFlow traces `model`'s training step (call
    before the model's first `fit`: Keras reads `train_step` when it makes its function)."""
    traces, step = [], model.train_step
    model.train_step = lambda data: traces.append(1) or step(data)
    return traces


def import_before_pytester() -> None:
    """Imports, once and before any pytester run, what the in-process runs of example projects
    import: pytester forgets the modules a run imported, and a C extension (NumPy's,
    TensorFlow's, PyTorch's) cannot be loaded twice in one process. PyTorch's first optimizer
    step imports several hundred more (torch._dynamo, sympy), some registering native
    operators: one step is taken here too."""
    import albumentations  # noqa: F401
    import hypothesis.extra.numpy  # noqa: F401
    import tensorflow  # noqa: F401
    import torch
    import yaml  # noqa: F401

    parameter = torch.nn.Parameter(torch.ones(1))
    parameter.grad = torch.ones(1)
    torch.optim.Adam([parameter]).step()
