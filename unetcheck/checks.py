"""Assertions about a segmentation pipeline and model, in the manner of chex.

Each `assert_*` raises `AssertionError` prefixed "[unetcheck.NAME]" that says what is
wrong, where and by how much, and takes an optional `custom_message=`; a caller's
mistake raises `ValueError`. The main job, this project's suite and other teams' suites
all use them.
"""

from unetcheck._checks.base import snapshot_weights
from unetcheck._checks.data import assert_labels_in_range
from unetcheck._checks.data import assert_paired_flip
from unetcheck._checks.data import assert_same_preprocessing
from unetcheck._checks.model import assert_batch_independent
from unetcheck._checks.model import assert_finite
from unetcheck._checks.model import assert_flip_equivariant
from unetcheck._checks.model import assert_probabilities_valid
from unetcheck._checks.model import assert_same_predictions
from unetcheck._checks.training import assert_all_trainable_change
from unetcheck._checks.training import assert_deterministic
from unetcheck._checks.training import assert_frozen
from unetcheck._checks.training import assert_loss_decreased
from unetcheck._checks.training import assert_loss_decreases
from unetcheck._checks.training import assert_overfits_batch
from unetcheck._checks.training import assert_weights_all_changed
from unetcheck._checks.training import assert_weights_unchanged

__all__ = [
    "assert_all_trainable_change",
    "assert_batch_independent",
    "assert_deterministic",
    "assert_finite",
    "assert_flip_equivariant",
    "assert_frozen",
    "assert_labels_in_range",
    "assert_loss_decreased",
    "assert_loss_decreases",
    "assert_overfits_batch",
    "assert_paired_flip",
    "assert_probabilities_valid",
    "assert_same_predictions",
    "assert_same_preprocessing",
    "assert_weights_all_changed",
    "assert_weights_unchanged",
    "snapshot_weights",
]
