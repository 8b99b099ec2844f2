"""The one list of metrics: a metric or statistic added to it reaches every place that names
metrics (summary, intervals, per-image rows, compare, `summary.json`, the terminal table,
the report pages), and artifacts saved without it still load."""

from __future__ import annotations

import numpy as np
import pytest

from unetcheck.errors import InputError
from unetcheck.job import report
from unetcheck.job.evaluate import format_summary, summary_record
from unetcheck.job.page import measurement_context
from unetcheck.metrics import registry
from unetcheck.metrics.per_image import PerImageMetrics, per_image_metrics
from unetcheck.metrics.regression import compare

CLASSES = ("pet", "background", "border")


def _predicted_share(pooled):
    """Each class's share of the predicted pixels: columns of the confusion over its total."""
    confusion = pooled["confusion"]
    return confusion.sum(axis=-2) / confusion.sum(axis=(-2, -1))[..., None]


SHARE = registry.Metric(
    "share", "predicted share", "region", ("confusion",), per_class=_predicted_share, mean="mean_share"
)


def _masks(seed=0, count=10, size=16):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, (count, size, size))
    pred = np.where(rng.uniform(size=truth.shape) < 0.1, rng.integers(0, 3, truth.shape), truth)
    return truth, pred


@pytest.fixture
def with_share(monkeypatch):
    monkeypatch.setattr(registry, "METRICS", (*registry.METRICS, SHARE))


def test_a_registered_metric_reaches_the_summary_rows_and_intervals(with_share):
    truth, pred = _masks()
    run = per_image_metrics(truth, pred, 3, class_names=CLASSES)
    summary = run.summary()
    for i, name in enumerate(CLASSES):  # from the masks themselves, not through the confusion
        assert summary["share"][name] == pytest.approx(np.mean(pred == i), rel=1e-12)
    assert summary["mean_share"] == pytest.approx(1 / 3, rel=1e-12)  # shares of all classes sum to 1
    assert run.rows()[0]["share"]["pet"] == pytest.approx(np.mean(pred[0] == 0), rel=1e-12)
    low, high = run.intervals()["share"]["pet"]
    assert low <= summary["share"]["pet"] <= high
    assert registry.label("mean_share") == "mean predicted share"
    assert registry.groups_for("share") == ("region",)


def test_a_registered_metric_reaches_compare_and_every_output(with_share, tmp_path):
    truth, pred = _masks()
    base = per_image_metrics(truth, pred, 3, class_names=CLASSES)
    cand = per_image_metrics(truth, np.zeros_like(pred), 3, class_names=CLASSES)
    rows = {(row.metric, row.class_name): row for row in compare(base, cand, resamples=200).rows}
    assert rows[("share", "pet")].difference == pytest.approx(1 - np.mean(pred == 0), rel=1e-9)
    assert ("mean_share", None) in rows
    record = summary_record(base)
    assert record["mean_share"] == pytest.approx(1 / 3) and set(record["share_per_class"]) == set(CLASSES)
    assert "predicted share" in format_summary(base)
    context = measurement_context(base)
    assert "mean_share" in [figure["key"] for figure in context["headline"]]
    assert "predicted share" in context["class_table"]["labels"]
    assert ("predicted share", "share_per_class") in report.class_columns()


def _with_pixel_counts(monkeypatch):
    """A new statistic (each class's predicted pixels, stored per image) and a metric on it."""
    pixels = registry.Statistic("predicted_pixels", "region", since=5)
    measure = registry.MEASURES["region"]

    def region(truth, pred, settings, valid):
        return {**measure(truth, pred, settings, valid), "predicted_pixels": np.bincount(pred.ravel(), minlength=3)}

    monkeypatch.setattr(registry, "STATISTICS", (*registry.STATISTICS, pixels))
    monkeypatch.setitem(registry.STATISTICS_BY_NAME, "predicted_pixels", pixels)
    monkeypatch.setitem(registry.MEASURES, "region", region)
    metric = registry.Metric(
        "pixels", "predicted pixels", "region", ("predicted_pixels",), per_class=lambda s: s["predicted_pixels"]
    )
    monkeypatch.setattr(registry, "METRICS", (*registry.METRICS, metric))


def test_a_new_statistic_is_measured_stored_and_read_back(monkeypatch, tmp_path):
    truth, pred = _masks()
    _with_pixel_counts(monkeypatch)
    run = per_image_metrics(truth, pred, 3, class_names=CLASSES)
    assert run.summary()["pixels"]["border"] == np.sum(pred == 2)
    run.save(tmp_path / "new.json")
    assert PerImageMetrics.load(tmp_path / "new.json").summary() == run.summary()


def test_a_file_without_a_new_statistic_keeps_every_other_metric(monkeypatch, tmp_path):
    truth, pred = _masks()
    old = per_image_metrics(truth, pred, 3, class_names=CLASSES)
    old.save(tmp_path / "old.json")
    _with_pixel_counts(monkeypatch)
    loaded = PerImageMetrics.load(tmp_path / "old.json")
    assert "pixels" not in loaded.summary()
    assert loaded.summary() == old.summary()
    new = per_image_metrics(truth, pred, 3, class_names=CLASSES)
    comparison = compare(loaded, new, resamples=200)
    assert "pixels" not in {row.metric for row in comparison.rows}
    assert any("pixels" in note for note in comparison.notes)


def test_a_file_with_a_statistic_this_version_lacks_is_refused_by_name(monkeypatch, tmp_path):
    truth, pred = _masks()
    with monkeypatch.context() as patch:
        _with_pixel_counts(patch)
        per_image_metrics(truth, pred, 3, class_names=CLASSES).save(tmp_path / "new.json")
    with pytest.raises(InputError, match="predicted_pixels"):
        PerImageMetrics.load(tmp_path / "new.json")


def test_a_metric_is_left_out_only_where_its_own_statistics_are_missing():
    truth, pred = _masks()
    run = per_image_metrics(truth, pred, 3, class_names=CLASSES)
    del run.statistics["hd95"]
    summary = run.summary()
    assert "mean_hd95" not in summary and "hd95" not in summary
    assert {"mean_nsd", "mean_assd", "miou", "mean_boundary_iou"} <= set(summary)
    assert run.surface is None and "surface" in run.groups
