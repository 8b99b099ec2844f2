"""The public API: the names `unetcheck` and `unetcheck.checks` export, held here so a change is
deliberate, and the promise that the checks and the plugin import no framework."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

import unetcheck
from tests.paths import ROOT
from unetcheck import checks

PUBLIC = [
    "Augment",
    "CLASS_NAMES",
    "ENCODER_TAPS",
    "NUM_CLASSES",
    "Pipelines",
    "Source",
    "TUTORIAL_CLASS_WEIGHTS",
    "add_sample_weights",
    "build_encoder",
    "calibrate_encoder",
    "compile_model",
    "create_mask",
    "deterministic_ops",
    "load_arrays",
    "load_image",
    "make_pipelines",
    "normalize",
    "oxford_preprocess",
    "predict_confusion",
    "set_seed",
    "synthetic_arrays",
    "synthetic_example",
    "synthetic_pets",
    "train",
    "unet_model",
    "upsample",
    "without_autotune",
]
CHECKS = [
    "assert_all_trainable_change",
    "assert_batch_independent",
    "assert_deterministic",
    "assert_finite",
    "assert_flip_equivariant",
    "assert_frozen",
    "assert_labels_in_range",
    "assert_loss_curve_falls",
    "assert_loss_decreases",
    "assert_loss_ignores",
    "assert_no_leakage",
    "assert_no_regression",
    "assert_outputs_fit_loss",
    "assert_overfits_batch",
    "assert_paired_flip",
    "assert_probabilities_valid",
    "assert_same_data",
    "assert_same_predictions",
    "assert_same_preprocessing",
    "assert_state_loaded",
    "assert_weights_all_changed",
    "assert_weights_unchanged",
    "build_fit_state",
    "predict",
    "seed_everything",
    "select_output",
    "snapshot",
    "to_numpy",
]


def test_all_is_the_public_api_and_each_name_is_its_modules():
    assert unetcheck.__all__ == sorted(PUBLIC)
    for name in PUBLIC:
        module = importlib.import_module(unetcheck._EXPORTS[name])
        assert getattr(unetcheck, name) is getattr(module, name), name
        assert name in dir(unetcheck)
    with pytest.raises(AttributeError, match="no attribute 'SkipConv2DTranspose'"):
        unetcheck.SkipConv2DTranspose  # noqa: B018 - the fast layers are an opt-in of their own module


def test_the_version_is_written_in_one_place():
    from importlib.metadata import version

    assert version("unetcheck") == unetcheck.__version__  # pyproject.toml reads it from the package
    assert "version =" not in (ROOT / "pyproject.toml").read_text().split("[project]")[1].split("[")[0]


def test_tutorial_names_are_public():
    for name in ("normalize", "load_image", "Augment", "unet_model", "add_sample_weights", "create_mask"):
        assert name in unetcheck.__all__


def test_checks_api_is_flat_complete_and_documented_alike():
    assert checks.__all__ == CHECKS
    for name in CHECKS:
        doc = inspect.getdoc(getattr(checks, name))
        assert doc, name
        if name.startswith("assert_"):
            assert doc.startswith("Checks that") or doc.startswith("Checks every"), name
            assert "Raises:" in doc, name


LIGHT = """
import sys
import unetcheck, unetcheck.checks, unetcheck.metrics, unetcheck.pytest_plugin, unetcheck.job.cli
# SciPy too: it loads when surface distances are measured, not on import.
heavy = [m for m in ("tensorflow", "keras", "tf_keras", "torch", "jax", "flax", "scipy") if m in sys.modules]
print(",".join(heavy) or "none")
"""


def test_checks_plugin_and_cli_import_no_framework():
    proc = subprocess.run([sys.executable, "-c", LIGHT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "none"


def test_help_answers_without_tensorflow():
    code = (
        "import sys; from unetcheck.job.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
        "    pass\nprint('tensorflow' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "verify" in proc.stdout and proc.stdout.strip().endswith("False"), proc.stdout + proc.stderr


def test_every_public_name_of_the_reference_pages_has_a_docstring():
    """What docs/reference/ renders: a public function or class without a docstring would be
    missing from the API reference (mkdocstrings shows documented names only)."""
    import inspect

    import unetcheck.checks
    import unetcheck.metrics
    import unetcheck.pytest_plugin

    named = [(m.__name__, n, getattr(m, n)) for m in (unetcheck.checks, unetcheck.metrics) for n in m.__all__]
    named += [
        ("unetcheck.pytest_plugin", n, f)
        for n, f in vars(unetcheck.pytest_plugin).items()
        if n.startswith("unetcheck_") and callable(f)
    ]
    lacking = [
        f"{module}.{name}"
        for module, name, obj in named
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and not inspect.getdoc(obj)
    ]
    assert len(named) > 50 and not lacking, lacking
