"""load_source's one switch, describe_source, and every source through the same pipeline."""

from __future__ import annotations

import pytest

from tests.paths import FIXTURES
from unetcheck.checks import assert_labels_in_range
from unetcheck.reference.data import describe_source, load_source
from unetcheck.reference.pipeline import make_pipelines


def test_switch_picks_the_source():
    assert load_source("synthetic", num_train=2, num_test=1).name == "synthetic"
    assert load_source(str(FIXTURES / "oxford_tiny")).num_examples == {"train": 8, "test": 4}
    with pytest.raises(ValueError, match="no longer resolves"):
        load_source("tfds:3.*.*")
    with pytest.raises(ValueError, match="unknown data source 'imagenet'"):
        load_source("imagenet")
    with pytest.raises(ValueError, match="--data-dir is for --data tfds"):
        load_source(str(FIXTURES / "oxford_tiny"), data_dir="x")


def test_describe_counts_sizes_and_class_shares():
    report = describe_source(load_source(str(FIXTURES / "oxford_tiny")))
    train = report["splits"]["train"]
    assert report["ok"] and train["examples"] == 8
    assert train["height"] == [60, 109] and train["width"] == [89, 110]  # as the fixture script wrote them
    assert sum(train["pixel_share"].values()) == pytest.approx(1.0)
    assert train["pixel_share"]["background"] > train["pixel_share"]["pet"] > train["pixel_share"]["border"] > 0


def test_every_source_flows_through_the_same_pipeline():
    for data, options in (("synthetic", {"num_train": 4, "num_test": 2}), (str(FIXTURES / "oxford_tiny"), {})):
        pipes = make_pipelines(load_source(data, **options), size=32, batch_size=2)
        images, masks = next(iter(pipes.train))
        assert images.shape == (2, 32, 32, 3) and masks.shape == (2, 32, 32, 1)
        assert_labels_in_range(pipes.test, 3)
