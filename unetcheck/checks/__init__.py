"""Assertions about any team's segmentation pipeline and model, in the manner of chex.

Each `assert_*` raises `AssertionError` prefixed "[unetcheck.NAME]" that says what is
wrong, where and by how much, and takes an optional `custom_message=`; a caller's
mistake raises `ValueError`. They take any framework's objects: Keras models on any
backend and tf-keras, PyTorch modules and tensors (on any device, requiring grad or not),
Flax modules and states, JAX and TensorFlow arrays, plain functions on NumPy arrays; a
model's output as its library returns it (`select_output`). Importing this package imports
NumPy only (SciPy loads when surface distances are measured): a framework is touched only
when its objects are passed in.

    from unetcheck.checks import assert_frozen, assert_paired_flip
"""

from unetcheck._core import snapshot, to_numpy
from unetcheck.checks._keras_fit import build_fit_state
from unetcheck.checks._models import predict, select_output
from unetcheck.checks.data import assert_labels_in_range, assert_paired_flip, assert_same_preprocessing
from unetcheck.checks.data_profile import assert_same_data
from unetcheck.checks.gate import assert_no_regression
from unetcheck.checks.leakage import assert_no_leakage
from unetcheck.checks.losses import assert_loss_ignores
from unetcheck.checks.outputs import (
    assert_batch_independent,
    assert_finite,
    assert_flip_equivariant,
    assert_outputs_fit_loss,
    assert_probabilities_valid,
    assert_same_predictions,
)
from unetcheck.checks.training import (
    assert_all_trainable_change,
    assert_deterministic,
    assert_frozen,
    assert_loss_curve_falls,
    assert_loss_decreases,
    assert_overfits_batch,
    assert_state_loaded,
    assert_weights_all_changed,
    assert_weights_unchanged,
    seed_everything,
)

__all__ = [
    "assert_all_trainable_change",
    "assert_batch_independent",
    "assert_deterministic",
    "assert_finite",
    "assert_flip_equivariant",
    "assert_frozen",
    "assert_labels_in_range",
    "assert_loss_curve_falls",
    "assert_loss_decreases",
    "assert_loss_ignores",
    "assert_no_leakage",
    "assert_no_regression",
    "assert_outputs_fit_loss",
    "assert_overfits_batch",
    "assert_paired_flip",
    "assert_probabilities_valid",
    "assert_same_data",
    "assert_same_predictions",
    "assert_same_preprocessing",
    "assert_state_loaded",
    "assert_weights_all_changed",
    "assert_weights_unchanged",
    "build_fit_state",
    "predict",
    "seed_everything",
    "select_output",
    "snapshot",
    "to_numpy",
]
