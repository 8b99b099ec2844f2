"""add_sample_weights and the tutorial's weighted-loss toy example."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import yaml
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.paths import FIXTURES
from unetcheck import TUTORIAL_CLASS_WEIGHTS, add_sample_weights


@given(
    label=hnp.arrays(np.int32, hnp.array_shapes(min_dims=3, max_dims=4, max_side=8), elements=st.integers(0, 2)),
    class_weights=st.lists(st.floats(0.01, 100.0), min_size=3, max_size=3),
)
def test_each_pixel_gets_its_class_normalized_weight(label, class_weights):
    image = np.zeros(label.shape[:-1] + (3,), np.float32)
    out_image, out_label, weights = add_sample_weights(image, label, class_weights)
    expected = np.asarray(class_weights, np.float64)[label] / sum(class_weights)
    assert weights.shape == label.shape and np.asarray(weights).dtype == np.float32
    np.testing.assert_allclose(np.asarray(weights), expected, rtol=1e-6)  # float32 rounding
    assert out_image is image and out_label is label


def test_tutorial_weights_are_half_half_quarter():
    _, _, weights = add_sample_weights(None, np.array([[[0], [1], [2]]]), TUTORIAL_CLASS_WEIGHTS)
    np.testing.assert_allclose(np.asarray(weights)[..., 0], [[0.4, 0.4, 0.2]], rtol=1e-7)


def test_works_inside_tf_data_on_uint8_masks():
    masks = np.array([[[[0], [2]]]], np.uint8)
    ds = tf.data.Dataset.from_tensor_slices((np.zeros((1, 1, 2, 3), np.float32), masks)).batch(1)
    ((_, _, weights),) = list(ds.map(add_sample_weights))
    np.testing.assert_allclose(weights.numpy()[..., 0], [[[0.4, 0.2]]], rtol=1e-7)


@pytest.mark.parametrize(
    "class_weights, match",
    [
        ([], "empty"),
        ([1.0, -1.0, 1.0], "finite and >= 0"),
        ([0.0, 0.0], "not all be zero"),
        ([1.0, float("nan")], "finite"),
    ],
)
def test_bad_class_weights(class_weights, match):
    with pytest.raises(ValueError, match=match):
        add_sample_weights(None, np.zeros((1, 1, 1), np.int32), class_weights)


def test_tutorial_weighted_loss_toy_example():
    golden = yaml.safe_load((FIXTURES / "weighted_loss_toy.yml").read_text())["losses"]
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    # Tensors, not lists: Keras 3 rejects the tutorial's plain lists.
    values = loss(
        y_true=tf.constant([0, 0]),
        y_pred=tf.constant([[-3.0, 0.0], [-3.0, 0.0]]),
        sample_weight=tf.constant([1.0, 10.0]),
    )
    np.testing.assert_allclose(np.asarray(values), golden, rtol=1e-6)  # float32 log/exp
