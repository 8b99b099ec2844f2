"""Milliseconds per batch of a paired flip in tf.data: `Augment` against Keras 3's own paired
augmentation, and Augment's TensorFlow path against the generic `where`.

    .venv/bin/python benchmarks/flip_throughput.py [--batch 64] [--size 128] [--batches 30]

Maps one cached (images, masks) batch through each flip many times in a tf.data pipeline
(autotuner off, as in `make_pipelines`), the paths alternating, and prints the median
milliseconds per batch of each:

- `Augment` (one decision per example, partition / reverse the flipped / stitch);
- Keras's `RandomFlip("horizontal")` given `{"images", "segmentation_masks"}` (one decision
  for both, Keras >= 3.6), the mask cast back to its integer dtype (Keras returns float32);
- the flip alone with fixed decisions: the broadcast `where` (`_flip_examples`, the
  backend-agnostic path) and the partition / stitch (`_flip_examples_tf`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from unetcheck.reference.augment import Augment, _flip_examples, _flip_examples_tf

    shape = (args.batch, args.size, args.size)
    images = tf.random.uniform(shape + (3,), seed=0)
    masks = tf.cast(tf.random.uniform(shape + (1,), 0, 3, dtype=tf.int32, seed=1), tf.uint8)
    flips = tf.random.uniform((args.batch,), seed=2) < 0.5
    options = tf.data.Options()
    options.autotune.enabled = False
    augment = Augment(seed=0)
    keras_flip = keras.layers.RandomFlip("horizontal", seed=0)

    def keras_paired(x, m, f):
        out = keras_flip({"images": x, "segmentation_masks": m}, training=True)
        return out["images"], tf.cast(out["segmentation_masks"], m.dtype)

    paths = {
        "Augment (unetcheck)": lambda x, m, f: augment(x, m),
        "RandomFlip on a dict (Keras)": keras_paired,
        "fixed decisions: where": lambda x, m, f: (_flip_examples(x, f), _flip_examples(m, f)),
        "fixed decisions: partition/stitch": lambda x, m, f: (_flip_examples_tf(x, f), _flip_examples_tf(m, f)),
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.rounds):
        for name, flip in paths.items():
            dataset = (tf.data.Dataset.from_tensors((images, masks, flips)).repeat().map(flip).with_options(options))
            batches = iter(dataset)
            next(batches)
            start = time.perf_counter()
            for _ in range(args.batches):
                next(batches)
            times[name].append((time.perf_counter() - start) / args.batches * 1e3)
    for name, values in times.items():
        print(f"{name:<36} {statistics.median(values):6.1f} ms per batch "
              f"({', '.join(f'{v:.1f}' for v in values)})")


if __name__ == "__main__":
    main()
