"""Decode-and-resize images/s on the Oxford fixture folder, beside the model's training images/s.

    .venv/bin/python benchmarks/decode_throughput.py [--size 128] [--seconds 10]

Decoding runs as the loader runs it: a parallel tf.data map of decode_image + load_image,
over the folder's files repeated (no cache), so every image is decoded again each pass.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from unetcheck import compile_model, load_image, unet_model  # noqa: E402
from unetcheck.reference.oxford import oxford_folder  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def decode_rate(size: int, seconds: float) -> float:
    source = oxford_folder(os.path.join(HERE, "..", "fixtures", "oxford_tiny"))
    ds = (source.split("train").concatenate(source.split("test")).repeat()
          .map(lambda ex: load_image(ex, size=size), num_parallel_calls=tf.data.AUTOTUNE)
          .prefetch(tf.data.AUTOTUNE))
    it = iter(ds)
    for _ in range(50):  # warm-up: tracing and thread pools
        next(it)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(it)
        count += 1
    return count / (time.perf_counter() - start)


def train_rate(size: int, batch: int, steps: int) -> float:
    model = compile_model(unet_model(input_size=size))
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(batch, size, size, 3)).astype("float32")
    y = rng.integers(0, 3, size=(batch, size, size, 1)).astype("int32")
    ds = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(ds, steps_per_epoch=3, epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * batch / (time.perf_counter() - start)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    decode = decode_rate(args.size, args.seconds)
    trained = train_rate(args.size, args.batch, args.steps)
    print(f"decode+resize: {decode:.0f} img/s; training: {trained:.1f} img/s "
          f"(batch {args.batch}, {args.size}x{args.size}); ratio {decode / trained:.1f}x; "
          f"cores {os.cpu_count()}, TensorFlow {tf.__version__}")
