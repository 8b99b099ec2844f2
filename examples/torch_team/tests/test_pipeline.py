"""Our PyTorch pipeline, checked by unetcheck: no TensorFlow needed."""

from pathlib import Path

import pipeline
import pytest
import torch

from unetcheck.checks import (
    assert_all_trainable_change,
    assert_batch_independent,
    assert_frozen,
    assert_labels_in_range,
    assert_loss_decreases,
    assert_loss_ignores,
    assert_outputs_fit_loss,
    assert_paired_flip,
    assert_same_data,
    assert_same_preprocessing,
    assert_state_loaded,
)
from unetcheck.checks.data_profile import DataProfile
from unetcheck.pets.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def examples():
    return list(synthetic_examples(16, seed=0, min_size=40, max_size=64))


@pytest.fixture
def loader(examples):
    dataset = pipeline.PetDataset(examples, augment=pipeline.augmentation())
    return torch.utils.data.DataLoader(dataset, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))


@pytest.fixture
def checkpoint():
    torch.manual_seed(1)
    return {k: v.clone() for k, v in pipeline.UNet().encoder.state_dict().items()}


def test_preprocessing_matches_the_reference():
    assert_same_preprocessing(pipeline.preprocess, channels_first=True)


def test_labels_in_range(loader):
    assert_labels_in_range(loader, num_classes=3)


def test_flip_is_paired():
    assert_paired_flip(pipeline.augmentation(), call="kwargs", per_example=True)


def test_encoder_checkpoint_is_loaded(checkpoint):
    assert_state_loaded(pipeline.build_model(checkpoint).encoder, checkpoint)


def test_encoder_stays_frozen(loader, checkpoint):
    model = pipeline.build_model(checkpoint)
    assert_frozen(model, "encoder", lambda: [pipeline.train_step(model, loader)() for _ in range(2)])


def test_every_trainable_parameter_learns(loader):
    model = pipeline.build_model()
    assert_all_trainable_change(model, pipeline.train_step(model, loader))


def test_loss_decreases(loader):
    assert_loss_decreases(pipeline.train_step(pipeline.build_model(), loader), steps=20, min_relative_drop=0.2)


def test_inference_ignores_the_batch(loader):
    model = pipeline.build_model()
    step = pipeline.train_step(model, loader)
    for _ in range(3):
        step()
    images = torch.stack([image for image, _ in loader.dataset])[:4]  # NCHW, as the model takes them
    assert_batch_independent(pipeline.for_inference(model), images, channels_first=True)


def test_outputs_fit_cross_entropy(loader):
    images, _ = next(iter(loader))
    # F.cross_entropy takes logits.
    assert_outputs_fit_loss(
        pipeline.for_inference(pipeline.build_model())(images), from_logits=True, channels_first=True
    )


def test_training_data_is_the_recorded_data(examples):
    # data_train.json, beside this file, is the profile of the training examples as the team
    # recorded it: data_profile(pipeline.training_examples(examples), 3, classes=lambda m: m - 1).
    recorded = DataProfile.load(Path(__file__).with_name("data_train.json"))
    assert_same_data(recorded, pipeline.training_examples(examples), classes=lambda mask: mask - 1)


def test_loss_leaves_void_pixels_out():
    assert_loss_ignores(pipeline.criterion, ignore_index=pipeline.VOID)


@pytest.mark.gpu
def test_trains_on_the_gpu(loader):
    model = pipeline.build_model().cuda()
    images, masks = next(iter(loader))
    loss = torch.nn.functional.cross_entropy(model(images.cuda()), masks.cuda())
    assert torch.isfinite(loss)
