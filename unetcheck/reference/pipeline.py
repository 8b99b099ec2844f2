"""The tutorial's input pipelines: load, cache, shuffle, batch, repeat, augment, prefetch."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from unetcheck.errors import InputError
from unetcheck.reference.augment import Augment
from unetcheck.reference.preprocess import load_image
from unetcheck.reference.sample_weights import add_sample_weights, normalized_class_weights
from unetcheck.reference.sources import Source

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

#: The tutorial validates on 1/VAL_SUBSPLITS of the test split each epoch.
VAL_SUBSPLITS = 5


@dataclasses.dataclass(frozen=True)
class Pipelines:
    """Batched train (infinite) and test (one pass) datasets, with the tutorial's step counts."""

    train: tf.data.Dataset
    test: tf.data.Dataset
    steps_per_epoch: int
    validation_steps: int
    batch_size: int
    size: int


def _autotuned(dataset: tf.data.Dataset, enabled: bool) -> tf.data.Dataset:
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = enabled
    return dataset.with_options(options)


def without_autotune(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """`dataset` with tf.data's autotuner off: the same elements in the same order.

    With the autotuner on, deleting an iterator waits for the autotuner's thread to wake
    (up to 10 s), and Keras deletes one at the end of every `fit` (docs/performance.md, "What makes it faster").
    """
    return _autotuned(dataset, False)


def make_pipelines(
    source: Source,
    size: int = 128,
    batch_size: int = 64,
    buffer_size: int = 1000,
    seed: int = 42,
    class_weights: Sequence[float] | None = None,
    autotune: bool = False,
) -> Pipelines:
    """Builds the tutorial's train and test `tf.data` pipelines from `source`.

    train: map(load_image) -> cache -> shuffle -> batch -> repeat -> Augment -> [weights]
    -> prefetch; test: map(load_image) -> batch. With `class_weights`, train batches are
    `(image, mask, sample_weight)` triples (`add_sample_weights`). The shuffle order follows
    `seed` and TensorFlow's global seed at the time of the call: call `set_seed` first.

    tf.data's autotuner is off unless `autotune=True`: its background thread makes the
    deletion of an iterator wait for the thread's next wake-up, up to 10 s, and Keras
    deletes one at the end of every `fit` and validation pass (docs/performance.md, "What makes it faster").
    Parallel maps then keep tf.data's initial parallelism, min(16, cores), and prefetch
    sizes its own buffer; the elements and their order are the same either way.

    Raises:
      ValueError: a non-positive batch or buffer size, bad class weights, or a
        non-bool `autotune`.
    """
    import tensorflow as tf

    if not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size must be a positive int; got {batch_size!r}")
    if not isinstance(buffer_size, int) or buffer_size < 1:
        raise InputError(f"buffer_size must be a positive int; got {buffer_size!r}")
    if not isinstance(autotune, bool):
        raise InputError(f"autotune must be True or False; got {autotune!r}")
    if class_weights is not None:
        normalized_class_weights(class_weights)  # fail here, not inside tf.data
    # Our functions branch on shapes and dtypes only, never on a tensor's value: traced as
    # written, without AutoGraph's rewrite of their source (docs/performance.md, "What makes
    # it faster").
    as_written = tf.autograph.experimental.do_not_convert
    load = as_written(functools.partial(load_image, size=size))
    train = (
        source.split("train")
        .map(load, num_parallel_calls=tf.data.AUTOTUNE)
        .cache()
        .shuffle(buffer_size, seed=seed)
        .batch(batch_size)
        .repeat()
        # Sequential on purpose: a stateful random op in a parallel map is drawn in a
        # nondeterministic order. Flipping is cheap next to decoding and resizing.
        .map(as_written(Augment(seed=seed)))
    )
    if class_weights is not None:
        train = train.map(as_written(functools.partial(add_sample_weights, class_weights=class_weights)))
    train = _autotuned(train.prefetch(tf.data.AUTOTUNE), autotune)
    test = _autotuned(source.split("test").map(load, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size), autotune)
    num_train = source.num_examples["train"]
    num_test = source.num_examples["test"]
    return Pipelines(
        train=train,
        test=test,
        steps_per_epoch=max(1, num_train // batch_size),
        validation_steps=max(1, num_test // batch_size // VAL_SUBSPLITS),
        batch_size=batch_size,
        size=size,
    )
