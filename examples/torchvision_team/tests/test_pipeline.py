"""Our torchvision DeepLabV3, checked by unetcheck: its {"out", "aux"} output as it comes."""

import pipeline
import pytest
import torch

from unetcheck.checks import (
    assert_all_trainable_change,
    assert_batch_independent,
    assert_labels_in_range,
    assert_loss_decreases,
    assert_outputs_fit_loss,
    assert_paired_flip,
    assert_same_preprocessing,
    assert_state_loaded,
)
from unetcheck.pets.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def examples():
    return list(synthetic_examples(16, seed=0, min_size=72, max_size=96))


@pytest.fixture
def loader(examples):
    dataset = pipeline.PetDataset(examples, augment=pipeline.augmentation())
    torch.manual_seed(0)  # v2's random draws come from torch's global generator
    return torch.utils.data.DataLoader(dataset, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))


def test_preprocessing_matches_the_reference():
    assert_same_preprocessing(pipeline.preprocess, channels_first=True)


def test_labels_in_range(loader):
    assert_labels_in_range(loader, num_classes=3)


def test_flip_is_paired():
    torch.manual_seed(0)
    assert_paired_flip(pipeline.augmentation(), per_example=True, channels_first=True)


def test_outputs_fit_the_loss(loader):
    images, _ = next(iter(loader))
    assert_outputs_fit_loss(pipeline.build_model().eval()(images), from_logits=True, channels_first=True)


def test_every_parameter_learns(loader):
    model = pipeline.build_model()
    assert_all_trainable_change(model, pipeline.train_step(model, loader))


def test_loss_decreases(loader):
    assert_loss_decreases(pipeline.train_step(pipeline.build_model(), loader), steps=20, min_relative_drop=0.2)


def test_inference_ignores_the_batch(loader):
    model = pipeline.build_model()
    step = pipeline.train_step(model, loader)
    for _ in range(3):
        step()
    images, _ = next(iter(loader))
    assert_batch_independent(pipeline.for_inference(model), images[:4], channels_first=True)


def test_checkpoint_is_loaded():
    saved = torch.nn.DataParallel(pipeline.build_model(seed=1)).state_dict()  # keys "module.*"
    assert_state_loaded(
        pipeline.load_checkpoint(pipeline.build_model(), saved),
        {key.removeprefix("module."): value for key, value in saved.items()},
    )
