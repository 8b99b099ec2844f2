"""Segmentation metrics: properties, and cross-checks against independent implementations
(keras.metrics, torchmetrics, SciPy's distance transform for the boundary band)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import ndimage

from unetcheck.metrics import (
    PerImageMetrics,
    boundary_band,
    boundary_iou,
    boundary_width,
    confusion_matrix,
    dice_per_class,
    fingerprint,
    iou_per_class,
    majority_confusion,
    mean_iou,
    per_image_metrics,
    pixel_accuracy,
)

masks = hnp.arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.integers(0, 2))
batches = st.tuples(st.integers(1, 3), st.integers(2, 12), st.integers(2, 12)).flatmap(
    lambda shape: st.tuples(
        hnp.arrays(np.int64, shape, elements=st.integers(0, 2)), hnp.arrays(np.int64, shape, elements=st.integers(0, 2))
    )
)


@given(mask=masks)
def test_iou_of_a_mask_with_itself_is_one_for_present_classes(mask):
    confusion = confusion_matrix(mask, mask, 3)
    present = np.isin(np.arange(3), mask)
    for values in (iou_per_class(confusion), dice_per_class(confusion)):
        np.testing.assert_array_equal(values[present], 1.0)
        assert np.isnan(values[~present]).all()  # absent from both: undefined, left out
    assert mean_iou(confusion) == 1.0 and pixel_accuracy(confusion) == 1.0
    bands = boundary_iou(mask[None], mask[None], 3)
    np.testing.assert_array_equal(bands[present], 1.0)


@given(pairs=batches)
def test_a_stack_of_confusion_matrices_gives_each_ones_metrics(pairs):
    """The bootstrap evaluates its resamples as one stack: each must equal its matrix alone."""
    truth, pred = pairs
    stack = np.stack([confusion_matrix(t, p, 3) for t, p in zip(truth, pred)])
    for name, metric in (
        ("iou", iou_per_class),
        ("dice", dice_per_class),
        ("accuracy", pixel_accuracy),
        ("miou", mean_iou),
    ):
        batched = np.asarray(metric(stack))
        assert batched.shape[0] == len(stack), name
        for i, confusion in enumerate(stack):
            np.testing.assert_array_equal(batched[i], metric(confusion), err_msg=name)


@given(data=st.data(), mask=masks)
def test_iou_matches_the_set_definition(data, mask):
    pred = data.draw(hnp.arrays(np.int64, mask.shape, elements=st.integers(0, 2)))
    iou, dice = iou_per_class(confusion_matrix(mask, pred, 3)), dice_per_class(confusion_matrix(mask, pred, 3))
    for c in range(3):
        inter, union = ((mask == c) & (pred == c)).sum(), ((mask == c) | (pred == c)).sum()
        both = (mask == c).sum() + (pred == c).sum()
        if union:
            assert iou[c] == pytest.approx(inter / union) and dice[c] == pytest.approx(2 * inter / both)
        else:
            assert np.isnan(iou[c]) and np.isnan(dice[c])


@given(pair=batches)
def test_symmetric_and_permutation_equivariant(pair):
    truth, pred = pair
    a, b = per_image_metrics(truth, pred, 3).summary(), per_image_metrics(pred, truth, 3).summary()
    for metric in ("iou", "dice", "boundary_iou"):  # swapping truth and prediction changes nothing
        np.testing.assert_array_equal(list(a[metric].values()), list(b[metric].values()))
    permutation = np.array([2, 0, 1])  # class c becomes permutation[c]
    permuted = per_image_metrics(permutation[truth], permutation[pred], 3).summary()
    for metric in ("iou", "dice", "boundary_iou"):
        original = np.array(list(a[metric].values()))
        np.testing.assert_array_equal(np.array(list(permuted[metric].values()))[permutation], original)


@given(pair=batches)
def test_iou_equals_keras_meaniou_and_torchmetrics(pair):
    from torchmetrics.segmentation import DiceScore, MeanIoU  # 1.1 s to import: not at collection

    truth, pred = pair
    ours = per_image_metrics(truth, pred, 3)
    summary = ours.summary()
    keras_miou = keras.metrics.MeanIoU(num_classes=3)
    keras_miou.update_state(truth, pred)
    # Keras leaves a class absent from both out of the mean, as we do: equal up to float32.
    assert float(keras_miou.result()) == pytest.approx(summary["miou"], abs=1e-6)
    for c, name in enumerate(ours.class_names):
        keras_iou = keras.metrics.IoU(num_classes=3, target_class_ids=[c])
        keras_iou.update_state(truth, pred)
        expected = summary["iou"][name]
        assert float(keras_iou.result()) == pytest.approx(0.0 if np.isnan(expected) else expected, abs=1e-6)
    dice = DiceScore(num_classes=3, average="none", aggregation_level="global", input_format="index")
    dice.update(torch.from_numpy(pred), torch.from_numpy(truth))
    np.testing.assert_allclose(dice.compute().numpy(), list(summary["dice"].values()), rtol=1e-6, equal_nan=True)
    for i in range(len(truth)):  # torchmetrics' MeanIoU averages per image: compare image by image
        miou = MeanIoU(num_classes=3, per_class=True, input_format="index")
        miou.update(torch.from_numpy(pred[i : i + 1]), torch.from_numpy(truth[i : i + 1]))
        theirs = miou.compute().numpy()
        mine = np.array(list(ours.summary(np.array([i]))["iou"].values()))
        np.testing.assert_allclose(np.where(np.isnan(mine), -1.0, mine), theirs, rtol=1e-6)  # absent: -1 there


@given(mask=hnp.arrays(np.bool_, st.tuples(st.integers(1, 20), st.integers(1, 20))), width=st.integers(1, 4))
def test_boundary_band_is_the_chessboard_distance_band(mask, width):
    """The band from iterated 3x3 erosions equals, pixel for pixel, the pixels whose chessboard
    distance (SciPy's distance transform) to the nearest pixel outside the mask, or outside the
    image, is at most `width`."""
    padded = np.pad(mask, 1, constant_values=False)
    distance = ndimage.distance_transform_cdt(padded, metric="chessboard")[1:-1, 1:-1]
    np.testing.assert_array_equal(boundary_band(mask, width), mask & (distance <= width))


def test_boundary_iou_sees_a_shifted_edge_that_region_iou_hides():
    truth = np.zeros((1, 128, 128), np.int64)
    truth[0, 32:96, 32:96] = 1
    shifted = np.roll(truth, 2, axis=2)  # the edge two pixels off
    region = per_image_metrics(truth, shifted, 2).summary()
    assert boundary_width(128, 128) == 4  # 2% of the diagonal (181 px), rounded
    assert region["iou"]["class_1"] > 0.93  # the interior hides the shift
    assert region["boundary_iou"]["class_1"] < 0.65  # the bands show it


def test_per_image_artifact_round_trips_and_refuses_other_files(tmp_path):
    rng = np.random.default_rng(0)
    truth, pred = rng.integers(0, 3, (4, 8, 8)), rng.integers(0, 3, (4, 8, 8, 1))
    metrics = per_image_metrics(truth, pred[..., 0], 3, names=list("abcd"), class_names=("pet", "bg", "border"))
    assert metrics.fingerprint == fingerprint(truth, list("abcd"))  # the recipe of every run
    loaded = PerImageMetrics.load(metrics.save(tmp_path / "per_image.json"))
    assert loaded.names == list("abcd") and loaded.fingerprint == metrics.fingerprint
    assert loaded.summary() == metrics.summary()  # counts, exact; every class present here
    assert metrics.summary()["confusion"] == confusion_matrix(truth, pred[..., 0], 3).tolist()
    assert [row["image"] for row in metrics.rows()] == list("abcd")
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="is not a per-image metrics file"):
        PerImageMetrics.load(tmp_path / "other.json")
    with pytest.raises(ValueError, match="no per-image metrics at"):
        PerImageMetrics.load(tmp_path / "nowhere")
    record = json.loads((tmp_path / "per_image.json").read_text())
    del record["boundary_ratio"], record["images"][1]["boundary_union"]
    (tmp_path / "cut.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="lacks boundary_ratio, boundary_union: not a complete"):
        PerImageMetrics.load(tmp_path / "cut.json")
    with pytest.raises(ValueError, match="4 names for 2 images"):
        per_image_metrics(truth[:2], truth[:2], 3, names=list("abcd"))
    assert fingerprint(truth) != fingerprint(np.roll(truth, 1)) and fingerprint(truth) == fingerprint(truth[..., None])
    with pytest.raises(TypeError, match="the photos are not part of a test set's fingerprint"):
        fingerprint(pred, truth)  # the earlier (images, masks) order


@given(mask=masks)
def test_majority_baseline_predicts_the_most_frequent_class(mask):
    confusion = confusion_matrix(mask, mask, 3)
    majority = int(np.argmax(np.bincount(mask.ravel(), minlength=3)))
    expected = confusion_matrix(mask, np.full_like(mask, majority), 3)
    np.testing.assert_array_equal(majority_confusion(confusion), expected)


def test_known_values_and_bad_inputs():
    truth, pred = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    # class 0: 1/2, class 1: 2/3, class 2 absent: mean of the two.
    assert mean_iou(confusion_matrix(truth, pred, 3)) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert mean_iou(confusion_matrix(torch.from_numpy(truth), torch.from_numpy(pred), 3)) == pytest.approx(7 / 12)
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="shape"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 3)
    with pytest.raises(ValueError, match="integer class ids.*create_mask"):
        confusion_matrix(np.array([0.5, 1.0]), np.array([0, 1]), 3)


void_batches = st.tuples(st.integers(1, 3), st.integers(2, 10), st.integers(2, 10)).flatmap(
    lambda shape: st.tuples(
        hnp.arrays(np.int64, shape, elements=st.sampled_from([0, 1, 2, 255])),
        hnp.arrays(np.int64, shape, elements=st.integers(0, 2)),
    )
)


@given(pair=void_batches)
def test_precision_recall_and_ignore_index_equal_torchmetrics(pair):
    from torchmetrics.functional.classification import (
        multiclass_confusion_matrix,
        multiclass_precision,
        multiclass_recall,
    )

    truth, pred = pair
    summary = per_image_metrics(truth, pred, 3, ignore_index=255).summary()
    t, p = torch.from_numpy(truth).flatten(), torch.from_numpy(pred).flatten()
    theirs = multiclass_confusion_matrix(p, t, 3, ignore_index=255).numpy()
    assert summary["confusion"] == theirs.tolist()
    # torchmetrics scores 0 where a ratio is 0/0 (zero_division=0); we leave a class absent
    # from both out (NaN) and agree on every other class.
    for name, metric in (("precision", multiclass_precision), ("recall", multiclass_recall)):
        expected = metric(p, t, 3, average="none", ignore_index=255, zero_division=0).numpy()
        mine = np.array(list(summary[name].values()))
        absent = (theirs.sum(0) + theirs.sum(1)) == 0
        np.testing.assert_allclose(mine[~absent], expected[~absent], rtol=1e-6)
        assert np.isnan(mine[absent]).all()


def test_void_pixels_count_for_no_metric():
    truth = np.array([[[0, 0, 255, 1]]])
    pred = np.array([[[0, 0, 0, 1]]])  # wrong only where the truth is void
    summary = per_image_metrics(truth, pred, 2, ignore_index=255).summary()
    assert summary["miou"] == 1.0 and summary["pixel_accuracy"] == 1.0 and summary["mean_boundary_iou"] == 1.0
    assert summary["mean_nsd"] == 1.0 and summary["mean_hd95"] == 0.0
    with pytest.raises(ValueError, match=r"y_true holds labels in \[0, 255\], outside \[0, 2\)"):
        per_image_metrics(truth, pred, 2)  # without ignore_index, 255 is a bad label


def test_surface_figures_round_trip_with_their_undefined_and_infinite_values(tmp_path):
    truth = np.zeros((2, 8, 8), np.int64)
    truth[:, 2:6, 2:6] = 1
    pred = truth.copy()
    pred[1] = 0  # class 1 missed entirely in image 1: HD95 and ASSD inf, NSD 0
    metrics = per_image_metrics(truth, pred, 3, nsd_tolerance=1.0)
    assert metrics.surface["hd95"][1, 1] == np.inf and metrics.surface["nsd"][1, 1] == 0.0
    assert np.isnan(metrics.surface["nsd"][:, 2]).all()  # class 2 in no mask
    summary = metrics.summary()
    # The distances average the images where both masks have the class (image 0, predicted
    # exactly: 0); image 1, where the prediction lacks it, is counted as a miss instead.
    assert summary["nsd"]["class_1"] == 0.5 and summary["hd95"]["class_1"] == 0.0
    assert summary["mean_hd95"] == np.mean([summary["hd95"]["class_0"], 0.0])  # class 2, in no mask, left out
    assert summary["missed"] == {"class_0": 0, "class_1": 1, "class_2": 0}
    assert summary["invented"] == {"class_0": 0, "class_1": 0, "class_2": 0}
    assert np.isnan(summary["nsd"]["class_2"])
    path = metrics.save(tmp_path / "per_image.json")
    assert "NaN" not in (tmp_path / "per_image.json").read_text()  # strict JSON: null and "inf"
    loaded = PerImageMetrics.load(path)
    for name in ("nsd", "hd95", "assd"):
        np.testing.assert_array_equal(loaded.surface[name], metrics.surface[name])
    assert loaded.nsd_tolerance == 1.0


def test_version_1_artifacts_still_load(tmp_path):
    record = {
        "format": "unetcheck.per_image/1",
        "class_names": ["a", "b"],
        "boundary_ratio": 0.02,
        "fingerprint": None,
        "images": [
            {"image": "0", "confusion": [[3, 1], [0, 4]], "boundary_intersection": [3, 4], "boundary_union": [4, 4]}
        ],
    }
    (tmp_path / "old.json").write_text(json.dumps(record))
    loaded = PerImageMetrics.load(tmp_path / "old.json")
    assert loaded.surface is None and loaded.ignore_index is None
    summary = loaded.summary()
    assert summary["precision"] == {"a": 1.0, "b": 0.8} and "mean_nsd" not in summary
