"""Our smp Unet, checked by unetcheck: its (masks, labels) output as it comes."""

import pipeline
import pytest
import torch

from unetcheck.checks import (
    assert_all_trainable_change,
    assert_batch_independent,
    assert_frozen,
    assert_loss_decreases,
    assert_outputs_fit_loss,
    assert_same_preprocessing,
)
from unetcheck.pets.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def examples():
    return list(synthetic_examples(16, seed=0, min_size=72, max_size=96))


@pytest.fixture
def loader(examples):
    return torch.utils.data.DataLoader(
        pipeline.PetDataset(examples), batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0)
    )


def test_preprocessing_matches_the_reference():
    assert_same_preprocessing(pipeline.preprocess, channels_first=True)


def test_encoder_stays_frozen(loader):
    model = pipeline.build_model()
    step = pipeline.train_step(model, loader)
    assert_frozen(model, "encoder", lambda: [step() for _ in range(2)])


def test_decoder_and_heads_learn(loader):
    model = pipeline.build_model()
    assert_all_trainable_change(model, pipeline.train_step(model, loader))


def test_mask_logits_fit_the_dice_loss(loader):
    images, _ = next(iter(loader))
    model = pipeline.build_model().eval()
    with torch.no_grad():
        assert_outputs_fit_loss(pipeline.loss_inputs(model(images)), from_logits=True, channels_first=True)


def test_loss_decreases(loader):
    assert_loss_decreases(pipeline.train_step(pipeline.build_model(), loader), steps=20, min_relative_drop=0.2)


def test_inference_ignores_the_batch(loader):
    images, _ = next(iter(loader))
    assert_batch_independent(pipeline.build_model().eval(), images[:4], channels_first=True)
