"""The synthetic pets: deterministic, Oxford-like trimaps, any size, drawn per example."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unetcheck.pets.synthetic import synthetic_example, synthetic_examples


@given(seed=st.integers(0, 2**31), h=st.integers(8, 200), w=st.integers(8, 200))
def test_example_is_deterministic_and_oxford_like(seed, h, w):
    a, b = synthetic_example(seed, h, w), synthetic_example(seed, h, w)
    np.testing.assert_array_equal(a["image"], b["image"])
    np.testing.assert_array_equal(a["segmentation_mask"], b["segmentation_mask"])
    assert a["image"].shape == (h, w, 3) and a["image"].dtype == np.uint8
    assert a["segmentation_mask"].shape == (h, w, 1) and a["segmentation_mask"].dtype == np.uint8
    assert set(np.unique(a["segmentation_mask"])) <= {1, 2, 3}


def test_trimap_has_a_border_band_between_pet_and_background():
    mask = synthetic_example(5, 160, 200)["segmentation_mask"][..., 0]
    assert {1, 2, 3} <= set(np.unique(mask))
    # Pet never touches background directly (4-neighbourhood): the border band separates them.
    for a, b in ((mask[1:], mask[:-1]), (mask[:, 1:], mask[:, :-1])):
        assert not (((a == 1) & (b == 2)) | ((a == 2) & (b == 1))).any()
    # And it is thin: a few pixels, not a region (Oxford bands are ~1-3% of the image).
    assert 0.005 < (mask == 3).mean() < 0.1


def test_pets_differ_in_colour_from_background():
    ex = synthetic_example(11, 128, 128)
    image, mask = ex["image"].astype(float), ex["segmentation_mask"][..., 0]
    gap = np.abs(image[mask == 1].mean(0) - image[mask == 2].mean(0)).max()
    assert gap > 20  # grey levels: a learnable cue, as the learnability test relies on


def test_examples_do_not_depend_on_how_many_are_drawn():
    few = list(synthetic_examples(2, seed=1, split="test", min_size=20, max_size=40))
    more = list(synthetic_examples(4, seed=1, split="test", min_size=20, max_size=40))
    for a, b in zip(few, more):
        np.testing.assert_array_equal(a["image"], b["image"])
        assert a["file_name"] == b["file_name"]
    assert [e["file_name"] for e in more] == [f"synthetic_test_{i:05d}" for i in range(4)]
    assert all(20 <= e["image"].shape[0] <= 40 and 20 <= e["image"].shape[1] <= 40 for e in more)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "validation"}, "split must be one of"),
        ({"min_size": 50, "max_size": 40}, "min_size"),
        ({"min_size": 4}, "min_size"),
    ],
)
def test_bad_arguments_fail_when_called(kwargs, match):
    with pytest.raises(ValueError, match=match):
        synthetic_examples(1, **kwargs)
    with pytest.raises(ValueError, match="height and width >= 8"):
        synthetic_example(0, 7, 20)
