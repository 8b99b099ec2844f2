"""The main job's `strategy.run` training loop (for MultiWorkerMirroredStrategy, where Keras 3's
`fit` fails) trains exactly as `Model.fit` does."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from unetcheck import calibrate_encoder, unet_model

pytestmark = pytest.mark.distributed


@pytest.mark.parametrize("class_weights", [None, (2.0, 2.0, 1.0)], ids=["plain", "sample_weights"])
def test_loop_trains_exactly_as_fit(class_weights):
    """fit_with_loop on the default strategy against Model.fit: same data, weights, steps."""
    import tensorflow as tf

    from unetcheck import compile_model, make_pipelines, synthetic_pets
    from unetcheck.checks import snapshot
    from unetcheck.reference.loop import fit_with_loop

    source = synthetic_pets(num_train=16, num_test=8, seed=5)
    results = []
    for use_loop in (False, True):
        # Seed first (tf.data's shuffle order depends on the global seed too), then fresh
        # pipelines: Augment's random state advances as batches are drawn.
        keras.utils.set_random_seed(1)
        pipes = make_pipelines(source, size=32, batch_size=8, seed=5, class_weights=class_weights)
        images = next(iter(pipes.test))[0]
        model = unet_model(input_size=32)
        calibrate_encoder(model, images)
        compile_model(model)
        if use_loop:
            history = fit_with_loop(model, tf.distribute.get_strategy(), pipes.train, 2, 2, pipes.test, 1, verbose=0)
        else:
            history = model.fit(
                pipes.train,
                epochs=2,
                steps_per_epoch=2,
                validation_data=pipes.test,
                validation_steps=1,
                verbose=0,
                shuffle=False,
            )
        results.append((list(snapshot(model).values()), history.history))
    (fit_weights, fit_logs), (loop_weights, loop_logs) = results
    # Same kernels, same order of updates: only float summation order may differ (measured ~1e-7).
    gap = max(float(np.max(np.abs(a - b))) for a, b in zip(fit_weights, loop_weights))
    assert gap <= 1e-5, f"weights differ by {gap:.3g}"
    np.testing.assert_allclose(loop_logs["val_loss"], fit_logs["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(loop_logs["val_accuracy"], fit_logs["val_accuracy"], rtol=1e-5)
