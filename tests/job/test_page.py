"""The report pages in a real browser (headless Chromium from Debian's packages): each opens from
file:// with nothing said on the console and nothing fetched, every picture decoded, and the
figures it shows are those of the JSON files beside it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.harness.browser import open_page, shown_figures
from unetcheck.job.cli import main
from unetcheck.job.page import format_figure
from unetcheck.metrics import registry

CLASSES = ("pet", "back<b>ground", "border")  # a name the page must escape, not render


def _write_run(root, shift, count=8):
    """True masks (void band on top), predictions `shift` pixels off (class 2 missed in image 0), photos."""
    rng = np.random.default_rng(0)
    for i in range(count):
        truth = np.kron(rng.integers(0, 3, (4, 6)), np.ones((12, 12), np.int64)).astype(np.uint8)
        pred = np.roll(truth, shift + i % 3, axis=1)
        if i == 0:
            pred[pred == 2] = 1
        truth[:3] = 255
        for folder, picture in (
            ("truth", truth),
            (f"pred{shift}", pred),
            ("photos", rng.integers(0, 255, truth.shape + (3,), dtype=np.uint8)),
        ):
            (root / folder / "city").mkdir(parents=True, exist_ok=True)
            Image.fromarray(picture).save(root / folder / "city" / f"im{i}.png")


def _checked(browser, page_path, tmp_path, pictures=True):
    said, images, page = open_page(browser, page_path, tmp_path / f"{page_path.stem}.png")
    assert said == [], said
    assert bool(images) == pictures and all(complete and width > 0 for complete, width in images), images
    assert (tmp_path / f"{page_path.stem}.png").stat().st_size > 10_000  # the screenshot is kept
    return page


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for shift in (1, 4):
        _write_run(root, shift)
        assert (
            main(
                [
                    "evaluate",
                    str(root / "truth"),
                    str(root / f"pred{shift}"),
                    "--num-classes",
                    "3",
                    "--class-names",
                    ",".join(CLASSES),
                    "--ignore-index",
                    "255",
                    "--images",
                    str(root / "photos"),
                    "--worst",
                    "5",
                    "--out",
                    str(root / f"run{shift}"),
                ]
            )
            == 0
        )
    return root


def test_the_evaluate_page_shows_the_summarys_figures(chromium_browser, runs, tmp_path):
    page = _checked(chromium_browser, runs / "run1" / "report.html", tmp_path)
    summary = json.loads((runs / "run1" / "summary.json").read_text())
    shown = shown_figures(page)
    for key in registry.overall_keys():
        assert shown[key] == format_figure(summary[key], key), key
    for metric in registry.per_class_metrics():
        for name in CLASSES:
            assert shown[f"{metric.name}:{name}"] == format_figure(
                summary[f"{metric.name}_per_class"][name], metric.name
            ), (metric.name, name)
    text = page.inner_text("body")
    assert "back<b>ground" in text and page.locator("b", has_text="ground").count() == 0  # escaped
    assert "1 of 8 images have a class in one mask and not the other" in text  # border missed in image 0
    assert "The 5 worst images by mean IoU" in text and "drawn over the photos in" in text
    assert len(page.locator("figure img").all()) == 10  # truth and prediction of each


def test_the_compare_page_shows_what_regressed(chromium_browser, runs, tmp_path, capsys):
    assert (
        main(
            [
                "compare",
                str(runs / "run1"),
                str(runs / "run4"),
                "--html",
                str(tmp_path / "compare.html"),
                "--json",
                str(tmp_path / "c.json"),
            ]
        )
        == 1
    )
    page = _checked(chromium_browser, tmp_path / "compare.html", tmp_path)
    record = json.loads((tmp_path / "c.json").read_text())
    regressed = page.locator("#regressed tbody tr").all()
    assert [row.locator("td").first.inner_text() for row in regressed] == record["regressed"]
    shown = shown_figures(page)
    for row in record["rows"]:
        label = row["metric"] if row["class_name"] is None else f"{row['metric']}[{row['class_name']}]"
        assert shown[label].lstrip("+") == format_figure(row["difference"], row["metric"]).lstrip("+"), label
    text = page.inner_text("body")
    assert "images whose mean IoU fell most" in text and "REGRESSION" in text
    assert page.locator("figure").count() > 0 and "None found in the data profiles (the runs record none)" in text


def test_a_page_says_where_the_masks_are_not_on_disk(chromium_browser, runs, tmp_path):
    record = json.loads((runs / "run4" / "per_image.json").read_text())
    record["sources"] = {"truth": str(tmp_path / "gone"), "pred": str(tmp_path / "gone"), "images": None}
    (tmp_path / "moved.json").write_text(json.dumps(record))
    assert (
        main(["compare", str(runs / "run1"), str(tmp_path / "moved.json"), "--html", str(tmp_path / "gone.html")]) == 1
    )
    page = _checked(chromium_browser, tmp_path / "gone.html", tmp_path)
    text = page.inner_text("body")
    assert f"The predictions of {tmp_path / 'moved.json'} are not on disk: their images are named, not shown" in text
    # The truth and the baseline's prediction from the baseline's folders; the candidate's named missing.
    assert page.locator("figure").count() > 0 and "candidate: not on disk" in text
    assert page.locator("figure img").count() == 2 * page.locator("figure").count()
