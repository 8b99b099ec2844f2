"""Our pipeline against the unetcheck reference: fixtures and the gpu marker from its pytest plugin."""

import pipeline
import pytest
from hypothesis import given, settings

from unetcheck.checks import (
    assert_frozen,
    assert_labels_in_range,
    assert_outputs_fit_loss,
    assert_paired_flip,
    assert_same_preprocessing,
)
from unetcheck.checks.hypothesis_strategies import examples


def test_preprocessing_matches_the_reference():
    assert_same_preprocessing(pipeline.preprocess)


def test_labels_in_range(unetcheck_source):
    batches = unetcheck_source.split("train").map(pipeline.preprocess).batch(8)
    assert_labels_in_range(batches, num_classes=3)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(example=examples(min_side=8, max_side=48))
def test_labels_in_range_for_any_trimap(example):
    _, mask = pipeline.preprocess(example)
    assert_labels_in_range(mask, num_classes=3)


def test_flip_is_paired():
    assert_paired_flip(pipeline.Flip())


def test_encoder_stays_frozen(unetcheck_pipelines):
    model = pipeline.build_model()
    model.run_eagerly = True  # one step: tracing a graph would cost more than the step
    assert_frozen(model, "encoder", lambda: model.fit(unetcheck_pipelines.train, steps_per_epoch=1, verbose=0))


@pytest.mark.gpu
def test_outputs_fit_the_loss_on_the_gpu(unetcheck_pipelines):
    images, _ = next(iter(unetcheck_pipelines.test))
    assert_outputs_fit_loss(pipeline.build_model()(images), from_logits=True)
