"""Prints the parity figures of tests/test_backends.py: max |difference| per pair of engines.

    .venv/bin/python benchmarks/parity_figures.py               (needs the [jax] and [torch] extras)
    .venv/bin/python benchmarks/parity_figures.py --xla-speed   (XLA against plain TensorFlow, CPU)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    from tests.harness.parity import step_outputs, write_reference_inputs

    folder = tempfile.mkdtemp()
    weights, batch = write_reference_inputs(folder, num_images=8, seed=11)  # as tests/test_backends.py
    loaded = np.load(batch)
    images, masks = loaded["images"], loaded["masks"]
    results = {}
    for backend in ("tensorflow", "jax", "torch"):
        out = os.path.join(folder, f"{backend}.npz")
        subprocess.run([sys.executable, "-m", "tests.harness.parity", "--weights", weights, "--batch",
                        os.path.join(folder, "batch.npz"), "--out", out], check=True, cwd=os.path.join(HERE, ".."),
                       env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
                       capture_output=True)
        results[backend] = dict(np.load(out))
    timings = {}
    for jit in (False, True):
        start = time.perf_counter()
        results[f"xla={jit}"] = step_outputs(weights, images, masks, jit_compile=jit)
        timings[jit] = time.perf_counter() - start
    pairs = [("tensorflow", "jax"), ("tensorflow", "torch"), ("xla=False", "xla=True")]
    for a, b in pairs:
        ra, rb = results[a], results[b]
        logits = float(np.max(np.abs(ra["logits"] - rb["logits"])))
        loss = abs(float(ra["loss"]) - float(rb["loss"]))
        wgap = max(float(np.max(np.abs(ra[k].astype(np.float64) - rb[k]))) for k in ra if k.startswith("w"))
        print(f"{a:>10} vs {b:<10} logits {logits:.2e} (scale {np.abs(ra['logits']).max():.2f}), "
              f"loss {loss:.2e}, weights after one SGD step {wgap:.2e}")
    print(f"one compile+step, TensorFlow: plain {timings[False]:.1f} s, XLA {timings[True]:.1f} s (build, trace "
          "and first step included)")


if __name__ == "__main__" and "--xla-speed" not in sys.argv:
    main()


def xla_slowdown(size: int = 128, batch: int = 8, steps: int = 6) -> None:
    """Steady-state training and predict images/s with and without XLA (TensorFlow, CPU)."""
    import statistics

    import tensorflow as tf

    from unetcheck import compile_model, unet_model

    x = tf.random.uniform((batch, size, size, 3))
    y = tf.random.uniform((batch, size, size, 1), 0, 3, tf.int32)
    ds = tf.data.Dataset.from_tensors((x, y)).repeat()
    for jit in (False, True):
        model = compile_model(unet_model(input_size=size), jit_compile=jit)
        model.fit(ds, steps_per_epoch=2, verbose=0)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            model.fit(ds, steps_per_epoch=steps, verbose=0)
            times.append(time.perf_counter() - start)
        model.predict(x, verbose=0)
        start = time.perf_counter()
        for _ in range(5):
            model.predict(x, verbose=0)
        predict = 5 * batch / (time.perf_counter() - start)
        print(f"jit_compile={jit}: train {steps * batch / statistics.median(times):.1f} img/s, "
              f"predict {predict:.1f} img/s ({size}x{size}, batch {batch})")


if __name__ == "__main__" and "--xla-speed" in sys.argv:
    xla_slowdown()
