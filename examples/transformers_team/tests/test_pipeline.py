"""Our SegFormer, checked by unetcheck: its output object and quarter-size logits as they come."""

import numpy as np
import pipeline
import pytest
import torch

from unetcheck.checks import (
    assert_all_trainable_change,
    assert_batch_independent,
    assert_labels_in_range,
    assert_loss_decreases,
    assert_outputs_fit_loss,
    assert_same_preprocessing,
    predict,
)
from unetcheck.pets.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def examples():
    return list(synthetic_examples(16, seed=0, min_size=40, max_size=64))


@pytest.fixture
def loader(examples):
    return torch.utils.data.DataLoader(
        pipeline.PetDataset(examples), batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0)
    )


def test_preprocessing_matches_the_reference():
    assert_same_preprocessing(pipeline.preprocess, channels_first=True)


def test_labels_in_range(loader):
    assert_labels_in_range(loader, num_classes=3)  # dict batches: the "labels" key


def test_outputs_fit_the_loss(loader):
    pixel_values = next(iter(loader))["pixel_values"]
    # SegFormer's loss is a cross-entropy on the logits.
    assert_outputs_fit_loss(pipeline.build_model().eval()(pixel_values), from_logits=True, channels_first=True)


def test_masks_at_the_image_size_are_the_upsampled_logits(loader):
    model = pipeline.for_inference(pipeline.build_model())
    pixel_values = next(iter(loader))["pixel_values"][:4]
    logits = predict(model, pixel_values, channels_first=True)
    assert logits.shape == (4, 3, pipeline.SIZE // 4, pipeline.SIZE // 4)  # as the model returns them
    upsampled = predict(model, pixel_values, channels_first=True, resize="bilinear")
    np.testing.assert_array_equal(upsampled.argmax(1), pipeline.masks(model, pixel_values).numpy())


def test_loss_decreases(loader):
    assert_loss_decreases(pipeline.train_step(pipeline.build_model(), loader), steps=20, min_relative_drop=0.2)


def test_every_trainable_parameter_learns(loader):
    model = pipeline.build_model()
    assert_all_trainable_change(model, pipeline.train_step(model, loader))


def test_inference_ignores_the_batch(loader):
    model = pipeline.build_model()
    step = pipeline.train_step(model, loader)
    for _ in range(3):
        step()
    pixel_values = next(iter(loader))["pixel_values"][:4]
    assert_batch_independent(pipeline.for_inference(model), pixel_values, channels_first=True)
