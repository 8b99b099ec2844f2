"""synthetic_pets: the synthetic pets as a TFDS-like source of tf.data splits."""

from __future__ import annotations

import numpy as np
import pytest

from unetcheck import synthetic_pets


def test_source_splits_sizes_and_independence_of_count():
    small, large = synthetic_pets(num_train=3, num_test=2, seed=1), synthetic_pets(num_train=5, num_test=2, seed=1)
    assert small.num_examples == {"train": 3, "test": 2}
    first_small = [ex["image"].numpy() for ex in small.split("train")]
    first_large = [ex["image"].numpy() for ex in large.split("train").take(3)]
    for a, b in zip(first_small, first_large):
        np.testing.assert_array_equal(a, b)
    for ex in small.split("train"):
        h, w, _ = ex["image"].shape
        assert 96 <= h <= 160 and 96 <= w <= 160
    assert int(small.split("test").cardinality()) == 2
    with pytest.raises(ValueError, match="no split 'validation'"):
        small.split("validation")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_train": 0}, "num_train"),
        ({"num_test": -1}, "num_test"),
        ({"min_size": 50, "max_size": 40}, "min_size"),
        ({"min_size": 4}, "min_size"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        synthetic_pets(**kwargs)
