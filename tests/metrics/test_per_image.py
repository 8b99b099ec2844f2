"""Per-image figures from arrays or streams of batches, in one process, in worker processes
or on a Dask cluster, and the artifact they make: the same bytes every way."""

from __future__ import annotations

import json

import numpy as np
import pytest

from unetcheck.metrics import registry
from unetcheck.metrics.per_image import PerImageMetrics, per_image_metrics
from unetcheck.metrics.regression import compare
from unetcheck.metrics.surface import surface_metrics

CLASSES = ("pet", "background", "border")


def _masks(count=12, size=24, seed=0):
    """Blocks of random classes and predictions with a few wrong pixels and shifted edges."""
    rng = np.random.default_rng(seed)
    truth = np.kron(rng.integers(0, 3, (count, 4, 4)), np.ones((1, size // 4, size // 4), np.int64))
    pred = np.roll(truth, 1, axis=2)
    pred[rng.uniform(size=pred.shape) < 0.02] = 0
    return truth, pred


def _artifact(metrics: PerImageMetrics, path) -> bytes:
    metrics.save(path)
    return path.read_bytes()


def test_a_stream_gives_what_the_arrays_give(tmp_path):
    truth, pred = _masks()
    names = [f"im{i}" for i in range(len(truth))]
    whole = _artifact(per_image_metrics(truth, pred, 3, names=names, class_names=CLASSES), tmp_path / "a.json")
    pairs = ((truth[i : i + 5], pred[i : i + 5]) for i in range(0, len(truth), 5))
    streamed = per_image_metrics(pairs, num_classes=3, names=iter(names), class_names=CLASSES)
    assert _artifact(streamed, tmp_path / "b.json") == whole
    triples = [(truth[i : i + 4, ..., None], pred[i : i + 4, ..., None], names[i : i + 4]) for i in range(0, 12, 4)]
    assert _artifact(per_image_metrics(triples, num_classes=3, class_names=CLASSES), tmp_path / "c.json") == whole
    one_by_one = ((t, p) for t, p in zip(truth, pred))  # single images, no batch axis
    assert per_image_metrics(one_by_one, num_classes=3).summary() == per_image_metrics(truth, pred, 3).summary()


def test_tf_data_and_a_torch_dataloader_stream_as_they_come(tmp_path):
    import tensorflow as tf
    import torch

    truth, pred = _masks()
    whole = _artifact(per_image_metrics(truth, pred, 3), tmp_path / "a.json")
    dataset = tf.data.Dataset.from_tensor_slices((truth, pred)).batch(5)
    assert _artifact(per_image_metrics(dataset, num_classes=3), tmp_path / "b.json") == whole
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(truth), torch.from_numpy(pred)), batch_size=5
    )
    assert _artifact(per_image_metrics(loader, num_classes=3), tmp_path / "c.json") == whole


def test_worker_processes_give_the_same_bytes(tmp_path):
    truth, pred = _masks(count=6, size=512)  # 512 x 512: one image a task, so both workers take some
    one = _artifact(per_image_metrics(truth, pred, 3, class_names=CLASSES), tmp_path / "one.json")
    two = _artifact(per_image_metrics(truth, pred, 3, class_names=CLASSES, workers=2), tmp_path / "two.json")
    assert one == two


def test_a_dask_cluster_gives_the_same_bytes(tmp_path):
    import distributed  # the test extra's

    truth, pred = _masks(count=6, size=512)
    one = _artifact(per_image_metrics(truth, pred, 3, spacing=(0.5, 2.0)), tmp_path / "one.json")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        streamed = ((truth[i : i + 2], pred[i : i + 2]) for i in range(0, 6, 2))
        metrics = per_image_metrics(
            streamed, num_classes=3, spacing=(0.5, 2.0), executor=client.get_executor(), workers=2
        )
        ran_on = client.run(lambda: True)  # the cluster's workers, which the tasks went to
    assert len(ran_on) == 2
    assert _artifact(metrics, tmp_path / "dask.json") == one


def test_volumes_with_spacing():
    rng = np.random.default_rng(1)
    truth = np.kron(rng.integers(0, 2, (3, 2, 3, 3)), np.ones((1, 6, 5, 5), np.int64))
    pred = np.roll(truth, 1, axis=1)
    metrics = per_image_metrics(truth, pred, 2, spacing=(3.0, 0.7, 0.7), nsd_tolerance=1.0)
    assert metrics.spacing == (3.0, 0.7, 0.7)
    for i in range(3):
        alone = surface_metrics(truth[i], pred[i], 2, 1.0, spacing=(3.0, 0.7, 0.7))
        for name in ("nsd", "hd95", "assd"):
            np.testing.assert_array_equal(metrics.surface[name][i], alone[name])
    with pytest.raises(ValueError, match=r"expected 3-D masks, \(N, D, H, W\)"):
        per_image_metrics(truth[0], pred[0], 2, spatial_dims=3)


def test_format_4_round_trips_and_formats_2_and_3_still_load(tmp_path):
    truth, pred = _masks(count=4)
    metrics = per_image_metrics(truth, pred, 3, spacing=(0.5, 0.5), ignore_index=None)
    loaded = PerImageMetrics.load(metrics.save(tmp_path / "per_image.json"))
    record = json.loads((tmp_path / "per_image.json").read_text())
    assert record["format"] == "unetcheck.per_image/4" and record["spacing"] == [0.5, 0.5]
    assert record["fingerprint_recipe"] == "truth-masks/1" and record["missing_distance"] == "skip"
    # Format 3 is format 4 without the fingerprint's recipe and the missing distance.
    del record["fingerprint_recipe"], record["missing_distance"], record["sources"]
    record["format"] = "unetcheck.per_image/3"
    (tmp_path / "v3.json").write_text(json.dumps(record))
    three = PerImageMetrics.load(tmp_path / "v3.json")
    assert (
        three.fingerprint_recipe is None and three.missing_distance == "skip" and three.summary() == metrics.summary()
    )
    assert record["statistics"] == [s.name for s in registry.STATISTICS]
    assert loaded.spacing == (0.5, 0.5) and loaded.summary() == metrics.summary()
    # Format 2 is format 3 without spacing and the list of statistics.
    del record["spacing"], record["statistics"]
    record["format"] = "unetcheck.per_image/2"
    (tmp_path / "v2.json").write_text(json.dumps(record))
    old = PerImageMetrics.load(tmp_path / "v2.json")
    assert old.spacing is None and old.groups == registry.GROUPS
    np.testing.assert_array_equal(old.surface["hd95"], metrics.surface["hd95"])
    record["format"], record["statistics"] = "unetcheck.per_image/3", ["confusion", "sharpness"]
    (tmp_path / "future.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match=r"holds statistics this unetcheck does not know: \['sharpness'\]"):
        PerImageMetrics.load(tmp_path / "future.json")


def test_one_list_drives_the_summary_and_the_comparison():
    """Every metric of the list, and nothing else, in the summary and in `compare`'s rows: a
    figure cannot be summarised without being judged, or the other way round."""
    truth, pred = _masks()
    metrics = per_image_metrics(truth, pred, 3, class_names=CLASSES)
    summary = metrics.summary()
    overall = registry.overall_keys()
    per_class = [m.name for m in registry.per_class_metrics()]
    assert list(summary) == overall + per_class + ["confusion"]
    rows = compare(metrics, metrics).rows
    assert [r.metric for r in rows if r.class_name is None] == overall
    assert sorted({r.metric for r in rows if r.class_name is not None}) == sorted(per_class)
    for row in rows:
        expected = summary[row.metric] if row.class_name is None else summary[row.metric][row.class_name]
        assert row.baseline == expected or (np.isnan(row.baseline) and np.isnan(expected))
    assert {r.metric for r in rows if r.lower_is_better} == {
        "hd95",
        "assd",
        "mean_hd95",
        "mean_assd",
        "missed",
        "invented",
    }


def test_runs_with_other_spacings_are_refused():
    truth, pred = _masks(count=4)
    with pytest.raises(ValueError, match=r"different spacings: None and \(0.5, 0.5\)"):
        compare(per_image_metrics(truth, pred, 3), per_image_metrics(truth, pred, 3, spacing=(0.5, 0.5)))


def test_bad_streams_and_settings_are_named():
    truth, pred = _masks(count=2)
    with pytest.raises(
        ValueError,
        match=r"give the number of classes by keyword: per_image_metrics\(batches, "
        r"num_classes=3\)",
    ):
        per_image_metrics([(truth, pred)], 3)
    with pytest.raises(ValueError, match="batch 1 of the stream is a ndarray; each must be a"):
        per_image_metrics([(truth, pred), truth], num_classes=3)
    with pytest.raises(ValueError, match="ambiguous: one image with a channel axis"):
        per_image_metrics([(truth[0, ..., None], pred[0, ..., None])], num_classes=3)
    with pytest.raises(ValueError, match="the stream was empty"):
        per_image_metrics(iter(()), num_classes=3)
    with pytest.raises(ValueError, match="workers must be a whole number >= 1; got 0"):
        per_image_metrics(truth, pred, 3, workers=0)
    with pytest.raises(ValueError, match="spatial_dims must be 2 .* got 4"):
        per_image_metrics(truth, pred, 3, spatial_dims=4)
    with pytest.raises(ValueError, match=r"image '1': y_pred holds labels in \[0, 7\]"):
        bad = pred.copy()
        bad[1, 0, 0] = 7
        per_image_metrics(truth, bad, 3)


def test_metrics_are_chosen_by_name_or_group():
    truth, pred = _masks(count=4)
    region = per_image_metrics(truth, pred, 3, metrics="iou")
    assert region.groups == ("region",) and set(region.statistics) == {"confusion"}
    assert "miou" in region.summary() and "mean_hd95" not in region.summary() and "missed" in region.summary()
    assert per_image_metrics(truth, pred, 3, metrics=["boundary"]).groups == ("region", "boundary")
    assert per_image_metrics(truth, pred, 3, metrics="dice,hd95").groups == ("region", "surface")
    everything = per_image_metrics(truth, pred, 3)
    assert region.summary()["iou"] == everything.summary()["iou"]  # the same figures, fewer of them
    with pytest.raises(ValueError, match=r"no metric or group named \['sharpness'\]: choose from the groups"):
        per_image_metrics(truth, pred, 3, metrics="iou,sharpness")
    # compare judges what both runs hold, and says what it left out.
    comparison = compare(everything, region)
    assert {row.metric for row in comparison.rows} == {
        "miou",
        "pixel_accuracy",
        "mean_dice",
        "iou",
        "dice",
        "precision",
        "recall",
        "missed",
        "invented",
    }
    assert comparison.notes == (
        "left out, as not every run measured them: assd, boundary_iou, hd95, mean_assd, "
        "mean_boundary_iou, mean_hd95, mean_nsd, nsd",
    )


def test_a_runs_intervals_are_the_bootstrap_of_its_images():
    """Each figure's interval: the 2.5% and 97.5% quantiles of the figure over resamples of the
    images, drawn as `compare` draws them; here recomputed resample by resample through
    `summary(indices)`."""
    from unetcheck.metrics import _statistics

    truth, pred = _masks(count=10)
    metrics = per_image_metrics(truth, pred, 3, class_names=CLASSES)
    intervals = metrics.intervals(resamples=200, seed=3)
    weights = _statistics.bootstrap_weights(10, 200, np.random.default_rng(3))
    drawn = [metrics.summary(np.repeat(np.arange(10), row.astype(int))) for row in weights]
    for key, low_high in (("miou", intervals["miou"]), ("iou", intervals["iou"]["pet"])):
        values = [d[key] if key == "miou" else d[key]["pet"] for d in drawn]
        np.testing.assert_allclose(low_high, np.quantile(values, [0.025, 0.975]), rtol=1e-12)
    low, high = intervals["miou"]
    assert low < metrics.summary()["miou"] < high
    assert intervals["missed"]["pet"] == [0.0, 0.0]
    with pytest.raises(ValueError, match="resamples be at least 100"):
        metrics.intervals(resamples=10)
