"""Training checks on Keras models, PyTorch modules and train-step callables alike."""

from __future__ import annotations

import itertools
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from tests.checks.models import IMAGES, MASKS, TorchNet, tiny_keras, torch_step
from tests.harness import count_traces
from unetcheck.checks import (
    assert_all_trainable_change,
    assert_deterministic,
    assert_frozen,
    assert_loss_curve_falls,
    assert_loss_decreases,
    assert_overfits_batch,
    assert_state_loaded,
    assert_weights_all_changed,
    assert_weights_unchanged,
    build_fit_state,
)


def test_weights_unchanged_and_all_changed():
    before = {"a": np.zeros(2), "b": np.ones(2)}
    assert_weights_unchanged(before, {"a": np.zeros(2), "b": np.ones(2)})
    with pytest.raises(AssertionError, match=r"1 of 2 encoder weights changed.*largest change 0\.5 in b"):
        assert_weights_unchanged(before, {"a": np.zeros(2), "b": np.array([1.0, 1.5])}, "encoder weights")
    assert_weights_all_changed(before, {"a": np.ones(2), "b": np.zeros(2)})
    with pytest.raises(AssertionError, match=r"1 of 2 weights did not change.*\['a'\]"):
        assert_weights_all_changed(before, {"a": np.zeros(2), "b": np.zeros(2)})
    with pytest.raises(ValueError, match="`after` lacks 1"):
        assert_weights_unchanged(before, {"a": np.zeros(2)})


def test_loss_curve_falls():
    assert_loss_curve_falls([1.0, 0.7, 0.5], 0.5)
    with pytest.raises(AssertionError, match=r"from 1 to 0\.9, a relative drop of 0\.1; expected at least 0\.5"):
        assert_loss_curve_falls([1.0, 0.9], 0.5)
    with pytest.raises(AssertionError, match="NaN"):
        assert_loss_curve_falls([1.0, float("nan")], 0.1)
    with pytest.raises(ValueError, match="two losses"):
        assert_loss_curve_falls([1.0], 0.1)


def _keras_with_encoder(trainable_encoder: bool):
    keras.utils.set_random_seed(0)
    encoder = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, padding="same"), keras.layers.BatchNormalization()],
        name="encoder",
    )
    encoder.trainable = trainable_encoder
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Conv2D(3, 1, name="head")(encoder(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.run_eagerly = True  # two steps: tracing would cost more
    return model


@pytest.mark.filterwarnings("ignore:Gradients do not exist for variables:UserWarning")  # the model meant to fail
def test_frozen_and_all_trainable_change_on_keras():
    frozen = _keras_with_encoder(trainable_encoder=False)
    step = lambda m: lambda: m.fit(IMAGES, MASKS, epochs=2, verbose=0)  # noqa: E731
    assert_frozen(frozen, "encoder", step(frozen))
    assert_all_trainable_change(frozen, step(frozen))
    unfrozen = _keras_with_encoder(trainable_encoder=True)
    with pytest.raises(AssertionError, match=r"arrays of frozen 'encoder' changed.*largest change.*BatchNorm"):
        assert_frozen(unfrozen, "encoder", step(unfrozen))
    with pytest.raises(ValueError, match="has no part 'decoder'"):
        assert_frozen(frozen, "decoder", step(frozen))
    dead = tiny_keras(keras.layers.Lambda(lambda x: keras.ops.stop_gradient(x)))  # first conv gets no gradient
    dead.run_eagerly = True
    with pytest.raises(AssertionError, match=r"2 of 4 trainable parameters did not change"):
        assert_all_trainable_change(dead, step(dead))


def test_frozen_torch_encoder_needs_eval_for_its_batchnorm():
    torch.manual_seed(0)
    net = TorchNet()
    net.encoder.requires_grad_(False)  # frozen weights, but the module is still in train mode
    with pytest.raises(
        AssertionError,
        match=r"arrays of frozen 'encoder' changed: \['encoder.1.num_batches_tracked', "
        r"'encoder.1.running_mean', 'encoder.1.running_var'\].*BatchNorm statistics.*\.eval\(\)",
    ):
        assert_frozen(net, "encoder", torch_step(net))
    net.encoder.eval()
    assert_frozen(net, "encoder", torch_step(net))
    assert_frozen(net, net.encoder, torch_step(net))
    assert_all_trainable_change(net, torch_step(net))
    unused = TorchNet(unused_parameter=True)
    with pytest.raises(AssertionError, match=r"1 of 7 trainable parameters did not change.*\['gate'\]"):
        assert_all_trainable_change(unused, torch_step(unused))


def test_frozen_on_a_mapping_of_named_arrays():
    params = {"encoder.w": np.zeros(3), "head.w": np.zeros(3)}

    def step():
        params["head.w"] = params["head.w"] + 1.0  # functional update, as JAX does it

    assert_frozen(lambda: params, "encoder", step)  # a callable reads the state after the step
    with pytest.raises(AssertionError, match=r"1 of 1 arrays of frozen 'head' changed"):
        assert_frozen(lambda: params, "head", step)


@pytest.mark.filterwarnings("ignore:The model does not have any trainable weights:UserWarning")  # meant to fail
def test_loss_decreases_keras_form():
    model = tiny_keras()
    traces = count_traces(model)
    assert_loss_decreases(model, (IMAGES, MASKS), steps=30, min_relative_drop=0.1)
    # Adam's moments and the accuracy's counters, made inside fit's first trace, would cost a
    # second trace of the step (tensorflow/tensorflow#48851): the check makes them first.
    assert len(traces) == 1 and model.optimizer.iterations.numpy() == 30
    with pytest.raises(AssertionError, match=r"relative drop of .*expected at least 0.5"):
        frozen_everything = tiny_keras()
        frozen_everything.trainable = False
        frozen_everything.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        assert_loss_decreases(frozen_everything, (IMAGES, MASKS), steps=3, min_relative_drop=0.5)
    ds = tf.data.Dataset.from_tensors((IMAGES, MASKS)).repeat()
    model, autotuned = tiny_keras(), []
    fit = model.fit
    model.fit = lambda data, **kwargs: autotuned.append(data.options().autotune.enabled) or fit(data, **kwargs)
    assert_loss_decreases(model, ds, steps=30, min_relative_drop=0.1)
    assert autotuned == [False]  # the user's dataset, fitted without tf.data's autotuner
    with pytest.raises(ValueError, match="needs `data`"):
        assert_loss_decreases(tiny_keras(), steps=3)


def test_build_fit_state_in_a_strategy_scope():
    """A model made under a tf.distribute strategy: its training state is made in that scope
    (made outside, the build raises), fit then traces once, and the metrics start at zero."""
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        model = tiny_keras()
    traces = count_traces(model)
    build_fit_state(model, IMAGES, MASKS, model(IMAGES))
    assert all(not np.any(v.numpy()) for metric in model.metrics for v in metric.variables)  # reset
    history = model.fit(IMAGES, MASKS, batch_size=2, epochs=2, verbose=0).history
    assert len(traces) == 1 and len(history["accuracy"]) == 2


def test_build_fit_state_without_an_optimizer():
    """compile(optimizer=None) (a model whose own train_step updates it): the metrics are built."""
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1)])
    model.compile(
        optimizer=None, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    build_fit_state(model, IMAGES, MASKS, model(IMAGES))
    assert [v.name for metric in model.metrics for v in metric.variables] == ["total", "count", "total", "count"]


def test_the_eager_loss_is_the_loss_evaluate_reports():
    """assert_loss_decreases computes the loss eagerly instead of through `evaluate`: the same
    number, regularization and inference-mode BatchNorm included."""
    from unetcheck.checks._keras_fit import inference_loss

    normed = tiny_keras(extra=keras.layers.BatchNormalization(moving_mean_initializer="ones"))
    regularized = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1, kernel_regularizer=keras.regularizers.L2(0.5))]
    )
    regularized.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    crossentropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for model in (normed, regularized):
        evaluated = model.evaluate(IMAGES, MASKS, verbose=0, return_dict=True)["loss"]
        # Measured: identical (graph and eager run the same float32 ops; 1e-5 leaves room for
        # other kernels' rounding). BatchNorm in training mode, or the regularization term left
        # out, moves it by 0.16 and 2.0 respectively.
        assert inference_loss(model, IMAGES, MASKS) == pytest.approx(evaluated, rel=1e-5)
        assert abs(evaluated - float(crossentropy(MASKS, model(IMAGES, training=True)))) > 1e-2

    class OlderLoss(keras.Sequential):  # compute_loss overridden as before Keras 3.3: no `training`
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            return super().compute_loss(x, y, y_pred, sample_weight) * 2.0

    older = OlderLoss([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1)])
    older.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert inference_loss(older, IMAGES, MASKS) == pytest.approx(
        older.evaluate(IMAGES, MASKS, verbose=0, return_dict=True)["loss"], rel=1e-5
    )


def test_loss_decreases_and_overfits_with_any_train_step():
    torch.manual_seed(0)
    net = TorchNet()
    assert_loss_decreases(torch_step(net), steps=30, min_relative_drop=0.2)
    assert_overfits_batch(torch_step(net), steps=60, min_accuracy=0.6)
    losses = iter([1.0, 0.99, 0.98, 0.99])
    with pytest.raises(AssertionError, match=r"loss fell from 1 to 0\.99"):
        assert_loss_decreases(lambda: next(losses), steps=4, min_relative_drop=0.1)
    with pytest.raises(AssertionError, match=r"after 3 steps on one batch, pixel accuracy is 0\.4"):
        assert_overfits_batch(lambda: {"loss": 1.0, "accuracy": 0.4}, steps=3)
    with pytest.raises(ValueError, match=r"must return \(loss, accuracy\)"):
        assert_overfits_batch(lambda: 1.0, steps=3)
    with pytest.raises(ValueError, match="returned None"):
        assert_loss_decreases(lambda: None, steps=3)
    with pytest.raises(ValueError, match="brings its own data"):
        assert_loss_decreases(lambda: 1.0, (IMAGES, MASKS), steps=3)


def test_overfits_batch_keras_form():
    # The extra layer is made before tiny_keras seeds: its initializer gets a seed of its own
    # (unseeded, it drew one from Python's random, which pytest-randomly reseeds per run).
    # Measured over 30 seeds of everything (this test's model, seeds 0-29): 32 filters reach
    # 0.949-1.0 after 150 steps (16 filters: 0.508-1.0, one seed in 30 under 0.8); 0.8
    # leaves room for other CPUs' rounding.
    wider = keras.layers.Conv2D(
        32, 3, padding="same", activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed=0)
    )
    assert_overfits_batch(tiny_keras(wider), IMAGES, MASKS, steps=150, min_accuracy=0.8)
    with pytest.raises(AssertionError, match=r"after 2 steps on one batch, pixel accuracy is") as failed:
        assert_overfits_batch(tiny_keras(), IMAGES, MASKS, steps=2, min_accuracy=0.99)
    first, last = re.search(r"loss (\S+) -> (\S+)$", str(failed.value)).groups()
    assert first != last  # the first step's loss, not the last step's twice


def test_deterministic():
    assert_deterministic(lambda: {"noise": keras.random.normal((3,)), "n": 1}, seed=4)
    assert_deterministic(lambda: [torch.rand(2), np.random.rand(2)], seed=4)
    counter = itertools.count()
    with pytest.raises(AssertionError, match=r"value 0 differs between two runs with seed 0"):
        assert_deterministic(lambda: np.array([next(counter)]))


def test_state_loaded_catches_a_load_that_did_nothing():
    torch.manual_seed(0)
    checkpoint = TorchNet().encoder.state_dict()
    net = TorchNet()
    result = net.load_state_dict(checkpoint, strict=False)  # names lack "encoder.": nothing loads
    assert len(result.unexpected_keys) == len(checkpoint)
    with pytest.raises(
        AssertionError,
        match=r"7 of 7 checkpoint arrays are not in the model: 7 missing by name "
        r".*names differ by a prefix \('0.weight' in the checkpoint, "
        r"'encoder.0.weight' in the model\)",
    ):
        assert_state_loaded(net, checkpoint)
    with pytest.raises(
        AssertionError, match=r"2 of 7 .*0 missing by name \[\], 2 with other values \['0.weight', '0.bias'\]"
    ):
        assert_state_loaded(net.encoder, checkpoint)  # right names; BatchNorm starts equal, the conv does not
    net.encoder.load_state_dict(checkpoint)
    assert_state_loaded(net.encoder, checkpoint)
    with pytest.raises(ValueError, match="empty"):
        assert_state_loaded(net, {})


def _nested_encoder_model():
    """A frozen encoder sub-model made of layers built in the outer scope, as a tutorial-style
    project makes it: its variables' own paths start at the layer ("stage1_bn1/moving_mean")."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    features = keras.layers.BatchNormalization(name="stage1_bn1")(keras.layers.Conv2D(4, 3, padding="same")(inputs))
    encoder = keras.Model(inputs, features, name="encoder")
    model = keras.Sequential([keras.Input((8, 8, 3)), encoder, keras.layers.Conv2D(3, 1, name="head")])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.run_eagerly = True
    return model


def test_frozen_names_the_changed_arrays_under_the_parts_path():
    model = _nested_encoder_model()
    assert model.get_layer("encoder").get_layer("stage1_bn1").moving_mean.path == "stage1_bn1/moving_mean"
    step = lambda: model.fit(IMAGES, MASKS, epochs=1, verbose=0)  # noqa: E731 - the encoder is trainable
    with pytest.raises(
        AssertionError,
        match=r"arrays of frozen 'encoder' changed: \['encoder/conv2d\w*/bias', "
        r".*'encoder/stage1_bn1/moving_mean'",
    ):
        assert_frozen(model, "encoder", step)
    with pytest.raises(AssertionError, match=r"frozen 'encoder/stage1_bn1' changed: \['encoder/stage1_bn1/beta'"):
        assert_frozen(model, "encoder/stage1_bn1", step)


def _void_batch():
    """IMAGES and MASKS with the first row of every mask void (255): 1/8 of the pixels."""
    masks = MASKS.copy()
    masks[:, 0] = 255
    return IMAGES, masks


def _ignoring_keras(ignore_class=255, seed=0):
    wider = keras.layers.Conv2D(
        32, 3, padding="same", activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed=0)
    )
    model = tiny_keras(wider, seed=seed)
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        metrics=["accuracy"],
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore_class),
    )
    return model


def test_overfits_batch_keras_form_leaves_void_pixels_out():
    images, masks = _void_batch()
    # Keras's own "accuracy" counts the void eighth as wrong: 0.875 at most, a false alarm at 0.9.
    history = _ignoring_keras().fit(images, masks, epochs=150, batch_size=4, verbose=0).history
    assert max(history["accuracy"]) <= 0.875
    # The check counts the 224 labelled pixels, reading the void label from the loss (150
    # steps reach 0.95-1.0 on the same model without void: test_overfits_batch_keras_form).
    assert_overfits_batch(_ignoring_keras(), images, masks, steps=150, min_accuracy=0.9)
    with pytest.raises(
        AssertionError,
        match=r"pixel accuracy over the 224 labelled pixels \(32 void, label 255, "
        r"left out\) is",
    ):
        assert_overfits_batch(_ignoring_keras(), images, masks, steps=1, min_accuracy=0.99)
    with pytest.raises(ValueError, match="ignore_index=0 but the model's loss has ignore_class=255"):
        assert_overfits_batch(_ignoring_keras(), images, masks, steps=1, ignore_index=0)


def test_overfits_batch_keras_form_trains_with_the_sample_weights():
    images, masks = _void_batch()
    # All weights 0: fit's loss is 0 and no weight moves, so the model cannot fit the batch.
    with pytest.raises(AssertionError, match=r"loss 0 -> 0$"):
        assert_overfits_batch(
            _ignoring_keras(),
            images,
            masks,
            steps=20,
            min_accuracy=0.9,
            sample_weight=np.zeros(masks.shape, np.float32),
        )
    weights = np.where(masks == 255, 0.0, 1.0).astype(np.float32)
    assert_overfits_batch(_ignoring_keras(), images, masks, steps=150, min_accuracy=0.9, sample_weight=weights)


def test_loss_decreases_keras_form_measures_the_loss_fit_minimises():
    """With the batch's sample weights and the regularization, as `evaluate` reports it."""
    from unetcheck.checks._keras_fit import keras_loss_before_after

    regularized = keras.layers.Conv2D(4, 3, padding="same", kernel_regularizer=keras.regularizers.L2(0.1))
    model = tiny_keras(regularized)
    weights = np.random.default_rng(3).uniform(0.1, 3.0, size=MASKS.shape).astype(np.float32)
    evaluated = model.evaluate(IMAGES, MASKS, sample_weight=weights, verbose=0, return_dict=True)["loss"]
    unweighted = model.evaluate(IMAGES, MASKS, verbose=0, return_dict=True)["loss"]
    before, after, ran = keras_loss_before_after(model, (IMAGES, MASKS, weights), steps=5)
    # Measured: equal to float32 rounding (eager and graph run the same ops); the weights move
    # the loss by 0.6, the regularization term is 0.07 of it.
    assert before.total == pytest.approx(evaluated, rel=1e-5) and abs(evaluated - unweighted) > 0.1
    assert 0.01 < before.regularization < before.total and ran == 5 and after.total < before.total


def test_loss_decreases_keras_form_refuses_a_short_run():
    finite = tf.data.Dataset.from_tensors((IMAGES, MASKS)).repeat(3)
    with pytest.raises(AssertionError, match=r"assert_loss_decreases\] training ran out of data after 3 of 5 steps"):
        assert_loss_decreases(tiny_keras(), finite, steps=5, min_relative_drop=0.01)
    assert_loss_decreases(tiny_keras(), finite, steps=3, min_relative_drop=0.01)
    batches = iter([1.0, 0.5, 0.25])
    with pytest.raises(AssertionError, match=r"training ran out of data after 3 of 4 steps"):
        assert_loss_decreases(lambda: next(batches), steps=4)


@pytest.mark.filterwarnings("ignore:The model does not have any trainable weights:UserWarning")  # meant to fail
def test_loss_decreases_keras_form_says_what_it_measured():
    frozen = tiny_keras()
    frozen.trainable = False
    frozen.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(
        AssertionError,
        match=r"relative drop of 0; .*the loss fit minimises on the first batch, "
        r"inference mode, sample weights applied",
    ):
        assert_loss_decreases(frozen, (IMAGES, MASKS, np.ones(MASKS.shape, np.float32)), steps=2)
