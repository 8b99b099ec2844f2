"""The reference pipeline's own costs, by its public API: the paired flip against Keras's,
the input pipeline, and the leakage scan. Training speed is `unetcheck bench`'s
(`unetcheck/bench/speed.py`), the one harness for it.

    make bench ARGS="-k flip"    # or: nox -s bench -- --benchmark-json=pipeline.json
"""

from __future__ import annotations

import pytest

import unetcheck
from conftest import BATCH, SIZE, SMOKE
from unetcheck.checks.leakage import find_leaks
from unetcheck.pets.synthetic import synthetic_examples

BATCHES = 2 if SMOKE else 20


def _batches(dataset, count: int) -> None:
    batches = iter(dataset)
    for _ in range(count):
        next(batches)


@pytest.fixture(scope="module")
def batch():
    import tensorflow as tf

    shape = (BATCH, SIZE, SIZE)
    images = tf.random.uniform(shape + (3,), seed=0)
    masks = tf.cast(tf.random.uniform(shape + (1,), 0, 3, dtype=tf.int32, seed=1), tf.uint8)
    return images, masks


def _flips():
    import keras
    import tensorflow as tf

    augment = unetcheck.Augment(seed=0)
    keras_flip = keras.layers.RandomFlip("horizontal", seed=0)

    def keras_paired(images, masks):
        out = keras_flip({"images": images, "segmentation_masks": masks}, training=True)
        return out["images"], tf.cast(out["segmentation_masks"], masks.dtype)

    return {"unetcheck.Augment": augment, "keras RandomFlip on a dict": keras_paired}


@pytest.mark.benchmark(group="paired flip in tf.data, per batch")
@pytest.mark.parametrize("name", ["unetcheck.Augment", "keras RandomFlip on a dict"])
def bench_paired_flip(benchmark, batch, name):
    import tensorflow as tf

    flip = _flips()[name]
    dataset = unetcheck.without_autotune(tf.data.Dataset.from_tensors(batch).repeat().map(flip))
    _batches(dataset, 1)  # traced once, outside the timing
    benchmark.pedantic(_batches, args=(dataset, BATCHES), rounds=3 if not SMOKE else 1, iterations=1)
    benchmark.extra_info["batches"] = BATCHES


@pytest.mark.benchmark(group="input pipeline: train batches")
def bench_input_pipeline(benchmark):
    source = unetcheck.synthetic_pets(num_train=BATCH * 2, num_test=4, seed=0)
    pipes = unetcheck.make_pipelines(source, size=SIZE, batch_size=BATCH, seed=0)
    _batches(pipes.train, 2)  # the cache filled
    benchmark.pedantic(_batches, args=(pipes.train, BATCHES), rounds=3 if not SMOKE else 1, iterations=1)
    benchmark.extra_info["images"] = BATCHES * BATCH


@pytest.mark.benchmark(group="leakage scan")
def bench_leakage_scan(benchmark):
    count = 20 if SMOKE else 200
    images = [example["image"] for example in synthetic_examples(count, seed=0, min_size=96, max_size=160)]
    benchmark.pedantic(find_leaks, args=(images[: count // 2], images[count // 2 :]), rounds=3, iterations=1)
    benchmark.extra_info["images"] = count
