"""Data profiles: resampled splits of one data set pass, and the changes the model's metrics
can miss (half the data lost, a kind of photo thinned out, brighter or smaller images) are
named, through the check and through `unetcheck compare`."""

from __future__ import annotations

import numpy as np
import pytest

from unetcheck.checks import assert_same_data
from unetcheck.checks.data_profile import DataProfile, data_profile, profile_differences
from unetcheck.pets import trimaps
from unetcheck.pets.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def pool():
    """240 synthetic pets (TFDS-style examples, trimaps 1..3) of 96 to 160 pixels a side."""
    return list(synthetic_examples(240, seed=0))


def _profile(examples):
    return data_profile(examples, trimaps.NUM_CLASSES, trimaps.CLASS_NAMES, classes=trimaps.to_classes)


def test_resampled_halves_of_one_data_set_are_the_same_data(pool):
    # Ten random halves against the other half: the false alarms a team would see when its
    # split is redrawn. Each figure needs p < 1e-3 and a change above its tolerance.
    rng = np.random.default_rng(0)
    alarms = []
    for _ in range(10):
        order = rng.permutation(len(pool))
        first, second = ([pool[i] for i in order[:120]], [pool[i] for i in order[120:]])
        alarms += profile_differences(_profile(first), _profile(second))
    assert alarms == []


def test_the_faults_that_slip_past_the_metrics_are_named(pool):
    baseline = _profile(pool[:120])
    assert profile_differences(baseline, _profile(pool[:120])) == []
    assert profile_differences(baseline, _profile(pool[:60])) == ["examples 120 -> 60 (-50%)"]
    # 90% of the photos where the pet fills most of the frame left out (and as many others in).
    pet_share = np.array([(e["segmentation_mask"] == 1).mean() for e in pool])
    big = pet_share > np.quantile(pet_share, 0.5)
    kept = [e for i, e in enumerate(pool) if not big[i] or i % 10 == 0][:120]
    found = profile_differences(baseline, _profile(kept))
    assert any(line.startswith("pet's share of an image's pixels") for line in found), found
    brighter = [
        {**e, "image": np.minimum(e["image"].astype(np.int64) * 13 // 10, 255).astype(np.uint8)} for e in pool[:120]
    ]
    # 30% brighter is also 30% more contrast (the grey values' spread scales alike).
    assert [line.split(" (")[0] for line in profile_differences(baseline, _profile(brighter))] == [
        f"mean intensity {baseline.means.mean():.4g} -> {_profile(brighter).means.mean():.4g}",
        "contrast",
    ]
    halved = [
        {"image": e["image"][::2, ::2], "segmentation_mask": e["segmentation_mask"][::2, ::2]} for e in pool[:120]
    ]
    assert any(line.startswith("median image") for line in profile_differences(baseline, _profile(halved)))


def test_the_check_profiles_a_split_and_survives_a_save(pool, tmp_path):
    recorded = _profile(pool[:120])
    path = recorded.save(tmp_path / "data_train.json")
    again = DataProfile.load(path)
    assert again.summary() == recorded.summary()
    assert_same_data(again, pool[:120], classes=trimaps.to_classes, class_names=trimaps.CLASS_NAMES)
    with pytest.raises(
        AssertionError,
        match=r"^\[unetcheck\.assert_same_data\] the data differs from its profile: "
        r"examples 120 -> 60 \(-50%\)",
    ):
        assert_same_data(again, pool[:60], classes=trimaps.to_classes)


def test_batches_dicts_and_void_labels(pool):
    images = np.stack([np.zeros((8, 8, 3), np.uint8)] * 4)
    masks = np.zeros((4, 8, 8), np.int64)
    masks[:, :2] = 255  # void rows, left out of the shares
    masks[:2, 2:] = 1
    profile = data_profile([(images[:2], masks[:2]), (images[2:], masks[2:])], 2, ignore_index=255)
    assert len(profile) == 4
    assert profile.summary()["class_pixel_share"] == {"class_0": 0.5, "class_1": 0.5}
    with pytest.raises(ValueError, match=r"mask labels outside 0\.\.1: \[1, 255\]"):
        data_profile([(images, masks)], 2)
    with pytest.raises(ValueError, match="pass the split as"):
        data_profile(images, 2)


def _changed(examples, change, seed=0):
    rng = np.random.default_rng(seed)
    return [
        {**e, "image": np.clip(change(e["image"].astype(np.float64), rng), 0, 255).astype(np.uint8)} for e in examples
    ]


def _box_blur(image, _):
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="edge")
    return sum(padded[i : i + image.shape[0], j : j + image.shape[1]] for i in range(3) for j in range(3)) / 9


@pytest.mark.parametrize(
    "change, named",
    [
        # Gaussian noise of std 40 (of 255): the mean intensity does not move.
        (
            lambda image, rng: image + rng.normal(0, 40, image.shape),
            "sharpness (fine-scale share of the variation: noise?)",
        ),
        (_box_blur, "sharpness (fine-scale share of the variation: blur?)"),
        # Contrast halved about each image's own mean: the mean stays.
        (lambda image, rng: image.mean() + (image - image.mean()) * 0.5, "contrast (intensity std)"),
        # A colour cast: red up, blue down by as much; the mean stays.
        (lambda image, rng: image + np.array([25.0, 0.0, -25.0]), "channel 0's mean intensity"),
    ],
)
def test_changes_that_keep_the_mean_intensity_are_named(pool, change, named):
    baseline, changed = _profile(pool[:120]), _profile(_changed(pool[:120], change))
    found = profile_differences(baseline, changed)
    assert any(line.startswith(named) for line in found), found
    assert not any(line.startswith("mean intensity") for line in found), found


def test_a_profile_of_format_1_still_loads_and_compares(pool, tmp_path):
    import json

    recorded = _profile(pool[:120])
    record = recorded.as_dict()
    record["format"] = "unetcheck.data_profile/1"
    del record["per_image"]["contrasts"], record["per_image"]["sharpness"]
    (tmp_path / "old.json").write_text(json.dumps(record))
    old = DataProfile.load(tmp_path / "old.json")
    assert old.contrasts is None and profile_differences(old, recorded) == []
