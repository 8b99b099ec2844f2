"""The examples (`>>>`) in the docstrings of every public check and metric run, and give what
they show: a reader can paste them."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

from unetcheck import checks

MODULES = [
    "_core",
    "_keras_fit",
    "_models",
    "data",
    "data_profile",
    "outputs",
    "training",
    "regression",
    "leakage",
    "losses",
    "metrics",
    "scores",
    "boundary",
    "per_image",
    "surface",
]
#: The metrics, beside `checks.__all__`, whose docstrings must show an example.
METRICS = {
    "metrics": [
        "confusion_matrix",
        "iou_per_class",
        "dice_per_class",
        "precision_per_class",
        "recall_per_class",
        "mean_iou",
        "pixel_accuracy",
        "boundary_iou",
        "per_image_metrics",
    ],
    "surface": ["surface_metrics"],
    "leakage": ["find_leaks", "perceptual_hash"],
    "regression": ["compare"],
}


def test_every_public_check_and_metric_shows_an_example():
    named = [getattr(checks, name) for name in checks.__all__]
    named += [
        getattr(importlib.import_module(f"unetcheck.checks.{module}"), name)
        for module, names in METRICS.items()
        for name in names
    ]
    lacking = [f.__name__ for f in named if ">>>" not in (inspect.getdoc(f) or "")]
    assert not lacking, f"no >>> example in the docstrings of {lacking}"


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"unetcheck.checks.{module}")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(mod, mod.__name__):
        runner.run(test, out=report.append)
    assert runner.tries, f"{module} has no examples"
    assert runner.failures == 0, "".join(report)
