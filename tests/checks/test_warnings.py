"""Every check, in its Keras, PyTorch and JAX forms, runs on the current stack without a single
warning: a team whose pytest turns warnings into errors (`filterwarnings = error`) gets the
check's verdict, never a DeprecationWarning from how the check read its arrays."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

import unetcheck.checks as checks
from tests.checks.models import IMAGES, MASKS, TorchNet, torch_step
from unetcheck.checks.data_profile import data_profile
from unetcheck.metrics import per_image_metrics

VOID_MASKS = np.where(np.arange(8)[None, :, None, None] == 0, 255, MASKS).astype(np.int32)  # row 0 void


@dataclass
class Team:
    """One framework's objects, as its team holds them: a model (or function) and its arrays,
    channels last or first as the framework has them, a training step and a loss."""

    model: Any  # called by the output checks
    state: Any  # what assert_frozen reads
    trainable: Any  # what assert_all_trainable_change reads: the part the step trains
    train_step: Callable[[], Any]  # one step, returning (loss, accuracy)
    loss: Any  # leaves label 255 out
    channels_first: bool
    tensor: Callable[[np.ndarray], Any]  # NumPy -> this framework, the layout unchanged
    softmax: Callable[[Any], Any]
    flip: Callable[[Any], Any]  # images or masks left-right, in this framework's layout

    def array(self, values: np.ndarray) -> Any:
        """Channels-last NumPy values as this framework's array, in its layout."""
        return self.tensor(np.ascontiguousarray(np.moveaxis(values, -1, 1)) if self.channels_first else values)

    def images(self) -> Any:
        return self.array(IMAGES)

    def masks(self) -> Any:
        return self.array(VOID_MASKS)


def _keras_team() -> Team:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    encoder = keras.Model(
        inputs, keras.layers.BatchNormalization()(keras.layers.Conv2D(4, 3, padding="same")(inputs)), name="encoder"
    )
    encoder.trainable = False
    model = keras.Sequential([keras.Input((8, 8, 3)), encoder, keras.layers.Conv2D(3, 1, name="head")])
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        metrics=["accuracy"],
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255),
    )

    def step():
        logs = model.fit(IMAGES, VOID_MASKS, epochs=1, verbose=0, shuffle=False).history
        return logs["loss"][-1], logs["accuracy"][-1]

    return Team(
        model,
        model,
        model,
        step,
        model.loss,
        False,
        keras.ops.convert_to_tensor,
        lambda x: keras.ops.softmax(x, axis=-1),
        lambda x: keras.ops.flip(x, axis=2),
    )


def _torch_team() -> Team:
    torch.manual_seed(0)
    net = TorchNet()
    net.encoder.requires_grad_(False).eval()
    step = torch_step(net)
    return Team(
        net,
        net,
        net,
        step,
        torch.nn.CrossEntropyLoss(ignore_index=255),
        True,
        torch.from_numpy,
        lambda x: torch.softmax(x, dim=1),
        lambda x: torch.flip(x, dims=(3,)),
    )


def _jax_cross_entropy(logits, labels, ignore=255):
    keep = labels != ignore
    picked = jnp.take_along_axis(jax.nn.log_softmax(logits), jnp.where(keep, labels, 0)[..., None], -1)[..., 0]
    return -(picked * keep).sum() / keep.sum()


def _jax_team() -> Team:
    keys = jax.random.split(jax.random.key(0), 2)
    params = {"encoder": {"w": jax.random.normal(keys[0], (3, 4))}, "head": {"w": jax.random.normal(keys[1], (4, 3))}}

    def forward(p, x):
        return jnp.maximum(x @ p["encoder"]["w"], 0) @ p["head"]["w"]  # 1x1 convolutions, channels last

    def step():
        def loss_of(head):
            return _jax_cross_entropy(forward({**params, "head": head}, IMAGES), VOID_MASKS[..., 0])

        loss, grad = jax.value_and_grad(loss_of)(params["head"])
        params["head"] = jax.tree_util.tree_map(lambda w, g: w - 0.5 * g, params["head"], grad)
        return loss, jnp.mean(jnp.argmax(forward(params, IMAGES), -1) == VOID_MASKS[..., 0])

    return Team(
        lambda x: forward(params, x),
        lambda: params,
        lambda: params["head"],
        step,
        _jax_cross_entropy,
        False,
        jnp.asarray,
        lambda x: jax.nn.softmax(x, axis=-1),
        lambda x: jnp.flip(x, axis=2),
    )


TEAMS = {"keras": _keras_team, "torch": _torch_team, "jax": _jax_team}


def _paired_flip(team: Team) -> Callable[[Any, Any], tuple[Any, Any]]:
    rng = np.random.default_rng(0)

    def augment(images, masks):  # NumPy in the team's layout, flipped in its framework
        images, masks = team.tensor(images), team.tensor(masks)
        flip = rng.uniform(size=len(images)) < 0.5
        return (
            [team.flip(x[None])[0] if f else x for x, f in zip(images, flip)],
            [team.flip(m[None])[0] if f else m for m, f in zip(masks, flip)],
        )

    return lambda images, masks: tuple(np.stack([checks.to_numpy(x) for x in side]) for side in augment(images, masks))


def _flips_paired(team: Team) -> None:
    checks.assert_paired_flip(_paired_flip(team), channels_first=team.channels_first)


def _same_preprocessing(team: Team) -> None:
    def preprocess(datapoint):  # this framework's arrays, in its layout
        image = team.array(datapoint["image"][None].astype(np.float32) / 255)[0]
        return image, team.array(datapoint["segmentation_mask"][None].astype(np.int32) - 1)[0]

    def reference(datapoint, size):
        return datapoint["image"] / 255, datapoint["segmentation_mask"].astype(np.int32) - 1

    checks.assert_same_preprocessing(preprocess, reference=reference, channels_first=team.channels_first)


def _loss_decreases(team: Team) -> None:
    if isinstance(team.model, keras.Model):
        weights = np.where(VOID_MASKS == 255, 0.0, 1.0).astype(np.float32)
        team.model.get_layer("encoder").trainable = True
        team.model.compile(optimizer="adam", loss=team.loss)
        batches = tf.data.Dataset.from_tensors((IMAGES, VOID_MASKS, weights)).repeat()  # fit warned of its shuffle
        checks.assert_loss_decreases(team.model, batches, steps=5, min_relative_drop=0.0)
    else:
        checks.assert_loss_decreases(team.train_step, steps=5, min_relative_drop=0.0)


def _overfits(team: Team) -> None:
    if isinstance(team.model, keras.Model):
        checks.assert_overfits_batch(team.model, team.images(), team.masks(), steps=3, min_accuracy=0.0)
    else:
        checks.assert_overfits_batch(team.train_step, steps=3, min_accuracy=0.0)


def _per_image(team: Team):
    masks = team.masks()
    predicted = checks.predict(team.model, team.images(), channels_first=team.channels_first).argmax(
        1 if team.channels_first else -1
    )
    truth = checks.to_numpy(masks, team.channels_first)[..., 0]
    return per_image_metrics(truth, predicted, num_classes=3, ignore_index=255)


CALLS: dict[str, Callable[[Team], Any]] = {
    "assert_all_trainable_change": lambda t: checks.assert_all_trainable_change(t.trainable, t.train_step),
    "assert_batch_independent": lambda t: checks.assert_batch_independent(
        t.model, t.images(), channels_first=t.channels_first
    ),
    "assert_deterministic": lambda t: checks.assert_deterministic(lambda: t.model(t.images())),
    "assert_finite": lambda t: checks.assert_finite(t.model(t.images())),
    "assert_flip_equivariant": lambda t: checks.assert_flip_equivariant(
        t.model, t.images(), min_agreement=0.0, channels_first=t.channels_first
    ),
    "assert_frozen": lambda t: checks.assert_frozen(t.state, "encoder", t.train_step),
    "assert_labels_in_range": lambda t: checks.assert_labels_in_range(t.masks(), num_classes=3, ignore_index=255),
    "assert_loss_curve_falls": lambda t: checks.assert_loss_curve_falls(
        [t.train_step()[0] * 2, t.train_step()[0]], 0.1
    ),
    "assert_loss_decreases": _loss_decreases,
    "assert_loss_ignores": lambda t: checks.assert_loss_ignores(t.loss),
    "assert_no_leakage": lambda t: checks.assert_no_leakage(
        t.images()[:2], t.images()[2:], channels_first=t.channels_first
    ),
    "assert_no_regression": lambda t: checks.assert_no_regression(
        baseline=[_per_image(t)] * 2, candidate=_per_image(t)
    ),
    "assert_outputs_fit_loss": lambda t: checks.assert_outputs_fit_loss(
        t.model(t.images()), from_logits=True, channels_first=t.channels_first
    ),
    "assert_overfits_batch": _overfits,
    "assert_paired_flip": _flips_paired,
    "assert_probabilities_valid": lambda t: checks.assert_probabilities_valid(
        t.softmax(t.model(t.images())), channels_first=t.channels_first
    ),
    "assert_same_data": lambda t: checks.assert_same_data(
        data_profile([(t.images(), t.masks())], 3, ignore_index=255, channels_first=t.channels_first),
        [(t.images(), t.masks())],
        ignore_index=255,
        channels_first=t.channels_first,
    ),
    "assert_same_predictions": lambda t: checks.assert_same_predictions(
        t.model, t.model, t.images(), channels_first=t.channels_first
    ),
    "assert_same_preprocessing": _same_preprocessing,
    "assert_state_loaded": lambda t: checks.assert_state_loaded(t.state, checks.snapshot(t.state)),
    "assert_weights_all_changed": lambda t: checks.assert_weights_all_changed({"w": t.images()}, {"w": t.images() + 1}),
    "assert_weights_unchanged": lambda t: checks.assert_weights_unchanged({"w": t.images()}, {"w": t.images()}),
}


def test_every_check_is_run_here():
    assert sorted(CALLS) == sorted(name for name in checks.__all__ if name.startswith("assert_"))


@pytest.mark.parametrize("framework", sorted(TEAMS))
@pytest.mark.parametrize("name", sorted(CALLS))
def test_no_check_warns(framework, name):
    team = TEAMS[framework]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CALLS[name](team)
