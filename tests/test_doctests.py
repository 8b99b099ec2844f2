"""The examples (`>>>`) in the docstrings of every public check and metric run, and give what
they show: a reader can paste them."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

from unetcheck import checks

MODULES = [
    "unetcheck._core",
    "unetcheck.checks._keras_fit",
    "unetcheck.checks._models",
    "unetcheck.checks.data",
    "unetcheck.checks.data_profile",
    "unetcheck.checks.outputs",
    "unetcheck.checks.training",
    "unetcheck.checks.gate",
    "unetcheck.checks.leakage",
    "unetcheck.checks.losses",
    "unetcheck.metrics",
    "unetcheck.metrics.regression",
    "unetcheck.metrics.scores",
    "unetcheck.metrics.boundary",
    "unetcheck.metrics.per_image",
    "unetcheck.metrics.surface",
    "unetcheck.metrics.registry",
    "unetcheck.metrics.strict_json",
]
#: The metrics, beside `checks.__all__`, whose docstrings must show an example.
METRICS = {
    "unetcheck.metrics": [
        "confusion_matrix",
        "iou_per_class",
        "dice_per_class",
        "precision_per_class",
        "recall_per_class",
        "mean_iou",
        "pixel_accuracy",
        "boundary_iou",
        "per_image_metrics",
        "fingerprint",
        "compare",
    ],
    "unetcheck.metrics.surface": ["surface_metrics"],
    "unetcheck.checks.leakage": ["find_leaks", "perceptual_hash"],
}


def test_every_public_check_and_metric_shows_an_example():
    named = [getattr(checks, name) for name in checks.__all__]
    named += [getattr(importlib.import_module(module), name) for module, names in METRICS.items() for name in names]
    lacking = [f.__name__ for f in named if ">>>" not in (inspect.getdoc(f) or "")]
    assert not lacking, f"no >>> example in the docstrings of {lacking}"


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    mod = importlib.import_module(module)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(mod, mod.__name__):
        runner.run(test, out=report.append)
    assert runner.tries, f"{module} has no examples"
    assert runner.failures == 0, "".join(report)
