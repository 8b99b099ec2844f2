"""make_pipelines: the tutorial's tf.data steps, with and without sample weights."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from unetcheck import make_pipelines, synthetic_pets, without_autotune
from unetcheck.checks import assert_labels_in_range


@pytest.fixture(scope="module")
def source():
    return synthetic_pets(num_train=20, num_test=12, seed=3, min_size=40, max_size=70)


def test_train_batches_shapes_dtypes_and_labels(source):
    pipes = make_pipelines(source, size=32, batch_size=8, seed=0)
    assert (pipes.steps_per_epoch, pipes.validation_steps) == (20 // 8, 1)
    images, masks = next(iter(pipes.train))
    assert images.shape == (8, 32, 32, 3) and images.dtype == tf.float32
    assert masks.shape == (8, 32, 32, 1) and masks.dtype == tf.uint8
    assert_labels_in_range(pipes.train, 3, max_batches=6)  # repeat(): more than one epoch
    assert_labels_in_range(pipes.test, 3)
    assert sum(int(m.shape[0]) for _, m in pipes.test) == 12


def test_weighted_pipeline_yields_sample_weights(source):
    pipes = make_pipelines(source, size=32, batch_size=4, seed=0, class_weights=(2.0, 2.0, 1.0))
    images, masks, weights = next(iter(pipes.train))
    expected = np.array([0.4, 0.4, 0.2], np.float32)[masks.numpy().astype(int)]
    np.testing.assert_allclose(weights.numpy(), expected, rtol=1e-7)


def test_same_seed_same_batches_other_seed_differs(source):
    def first_masks(seed):
        return [m.numpy() for _, m in make_pipelines(source, size=32, batch_size=4, seed=seed).train.take(5)]

    a, b, c = first_masks(1), first_masks(1), first_masks(2)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, y) for x, y in zip(a, c))


def test_autotune_is_off_by_default_and_changes_no_element(source):
    # Off: the autotuner's thread delays each iterator's deletion by up to 10 s
    # (docs/performance.md, "What makes it faster"). The option must not change what the pipelines yield.
    def pipes(autotune):
        tf.random.set_seed(0)
        return make_pipelines(source, size=32, batch_size=4, seed=1, autotune=autotune)

    off, on = pipes(False), pipes(True)
    assert off.train.options().autotune.enabled is False and off.test.options().autotune.enabled is False
    assert on.train.options().autotune.enabled is True and on.test.options().autotune.enabled is True
    assert without_autotune(on.train).options().autotune.enabled is False
    for a, b in zip(list(off.train.take(6)) + list(off.test), list(on.train.take(6)) + list(on.test), strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x.numpy(), y.numpy())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"buffer_size": 0}, "buffer_size"),
        ({"autotune": "yes"}, "autotune must be True or False"),
        ({"class_weights": [1.0, -1.0, 1.0]}, "finite and >= 0"),
    ],
)
def test_bad_arguments(source, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_pipelines(source, size=32, **kwargs)
