"""Compiling and training: the same seed gives the same losses, bit for bit, under
`deterministic_ops`, which leaves no process-wide switch behind.

That training freezes the encoder, trains every decoder weight, lowers the loss and beats
the majority baseline is the main job's own checks, run on the suite's one trained
reference in tests/job/test_cli.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from tensorflow.python.framework import config as tf_config

from tests.harness import count_traces
from unetcheck import (
    calibrate_encoder,
    compile_model,
    deterministic_ops,
    make_pipelines,
    predict_confusion,
    set_seed,
    synthetic_pets,
    train,
    unet_model,
)

SIZE = 32  # smallest size the encoder takes


def _fit(seed, epochs, num_train=16, batch_size=8, class_weights=(2.0, 2.0, 1.0)):
    set_seed(seed)
    source = synthetic_pets(num_train=num_train, num_test=8, seed=seed, min_size=40, max_size=60)
    pipes = make_pipelines(source, size=SIZE, batch_size=batch_size, seed=seed, class_weights=class_weights)
    model = unet_model(input_size=SIZE)
    calibrate_encoder(model, next(iter(pipes.train))[0])
    compile_model(model, run_eagerly=True)  # a few steps: tracing a graph would cost more
    return model, pipes, train(model, pipes, epochs=epochs, verbose=0)


def test_same_seed_gives_identical_losses_and_predictions():
    with deterministic_ops():
        runs = [_fit(seed=3, epochs=1) for _ in range(2)]  # 2 steps and a validation pass each
    (model_a, pipes, history_a), (model_b, _, history_b) = runs
    assert history_a.history["loss"] == history_b.history["loss"]  # bitwise
    assert history_a.history["val_loss"] == history_b.history["val_loss"]
    np.testing.assert_array_equal(predict_confusion(model_a, pipes.test, 3), predict_confusion(model_b, pipes.test, 3))


def test_compiled_model_traces_its_training_step_once():
    """Adam's moments and the metrics' counters made inside fit's first trace cost a second
    trace of the whole step (tensorflow/tensorflow#48851); compile_model makes them first."""
    import keras

    set_seed(0)
    model = compile_model(keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 3, padding="same")]))
    traces = count_traces(model)
    rng = np.random.default_rng(0)
    history = model.fit(
        rng.uniform(size=(8, 8, 8, 3)), rng.integers(0, 3, (8, 8, 8, 1)), batch_size=4, epochs=2, verbose=0
    )
    assert len(traces) == 1  # 2 without compile_model's builds
    assert len(history.history["accuracy"]) == 2


def test_deterministic_ops_is_scoped():
    was = tf_config.is_op_determinism_enabled()
    with deterministic_ops():
        assert tf_config.is_op_determinism_enabled()
    assert tf_config.is_op_determinism_enabled() == was  # no process-wide switch left on


def test_bad_epochs():
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        train(None, None, epochs=0)
