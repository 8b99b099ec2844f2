"""A `strategy.run` training loop for where `Model.fit` cannot go.

Keras 3's `fit` fails under MultiWorkerMirroredStrategy (keras-team/keras#20585). This
loop trains a compiled model the way `fit` does: the same loss (mean over every pixel of
the global batch, times per-pixel sample weights when the batches carry them), the same
optimizer, pixel accuracy, validation on `validation_steps` test batches, and Keras
callbacks (BackupAndRestore, CSVLogger, ...) called at the same points.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras


def fit_with_loop(
    model: keras.Model,
    strategy: Any,
    train: Any,
    epochs: int,
    steps_per_epoch: int,
    validation_data: Any,
    validation_steps: int,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = 2,
) -> keras.callbacks.History:
    """Trains `model` (built and compiled under `strategy.scope()`) and returns its History."""
    train_step, test_step = _steps(model, strategy)
    callback_list = keras.callbacks.CallbackList(
        list(callbacks), add_history=True, model=model, epochs=epochs, steps=steps_per_epoch, verbose=0
    )
    callback_list.on_train_begin()
    first = int(getattr(model, "_initial_epoch", None) or 0)  # set by BackupAndRestore on resume
    batches = iter(strategy.experimental_distribute_dataset(train))
    for epoch in range(first, epochs):
        callback_list.on_epoch_begin(epoch)
        loss_sum = hits_sum = pixel_sum = 0.0
        for step in range(steps_per_epoch):
            callback_list.on_train_batch_begin(step)
            loss, hits, pixels = (float(v) for v in train_step(next(batches)))
            loss_sum, hits_sum, pixel_sum = loss_sum + loss, hits_sum + hits, pixel_sum + pixels
            callback_list.on_train_batch_end(step)
        totals = [0.0, 0.0, 0.0, 0.0]
        for batch in validation_data.take(validation_steps):
            totals = [t + float(v) for t, v in zip(totals, test_step(tuple(batch)))]
        logs = {
            "accuracy": hits_sum / pixel_sum,
            "loss": loss_sum / steps_per_epoch,
            "val_accuracy": totals[2] / totals[3],
            "val_loss": totals[0] / totals[1],
        }
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs} - " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()), flush=True)
        callback_list.on_epoch_end(epoch, logs)
    callback_list.on_train_end()
    return model.history


def _steps(model: keras.Model, strategy: Any) -> tuple[Any, Any]:
    """The loop's distributed training step (summed loss, hits, pixels over the replicas) and
    its test step, as `tf.function`s."""
    import tensorflow as tf

    per_pixel = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    def loss_and_hits(batch: tuple, training: bool) -> tuple[Any, Any, Any]:
        images, masks = batch[0], batch[1]
        logits = model(images, training=training)
        losses = per_pixel(masks, logits)
        if len(batch) > 2:
            losses *= tf.squeeze(tf.cast(batch[2], losses.dtype), -1)
        labels = tf.cast(tf.squeeze(masks, -1), tf.int64)
        hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, -1), labels), tf.float32))
        return tf.reduce_mean(losses, axis=[1, 2]), hits, tf.cast(tf.size(labels), tf.float32)

    @tf.function
    def train_step(batch: tuple) -> list:
        def replica_step(*batch: Any) -> tuple:
            context = tf.distribute.get_replica_context()
            global_batch = context.all_reduce("SUM", tf.cast(tf.shape(batch[0])[0], tf.float32))
            with tf.GradientTape() as tape:
                per_example, hits, pixels = loss_and_hits(batch, training=True)
                loss = tf.reduce_sum(per_example) / global_batch  # fit's mean over the global batch
            grads = tape.gradient(loss, model.trainable_variables)
            model.optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss, hits, pixels

        results = strategy.run(replica_step, args=tuple(batch))
        return [strategy.reduce("SUM", value, axis=None) for value in results]

    @tf.function
    def test_step(batch: tuple) -> tuple:
        per_example, hits, pixels = loss_and_hits(batch, training=False)
        return tf.reduce_sum(per_example), tf.cast(tf.shape(per_example)[0], tf.float32), hits, pixels

    return train_step, test_step
