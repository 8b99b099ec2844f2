"""Pins what fit(class_weight=...) does with per-pixel targets on the installed Keras."""

from __future__ import annotations

import keras
import pytest
import yaml

from tests.harness.class_weight_probe import CASES, probe_class_weight
from tests.paths import FIXTURES

PINNED = yaml.safe_load((FIXTURES / "class_weight_keras.yml").read_text())
MINOR = ".".join(keras.__version__.split(".")[:2])


@pytest.fixture(scope="module")
def observed():
    return {case: probe_class_weight(case) for case in CASES}


def test_installed_keras_is_pinned(observed):
    assert MINOR in PINNED, (
        f"Keras {keras.__version__} is not pinned in fixtures/class_weight_keras.yml "
        f"(pinned: {sorted(PINNED)}). Observed now: {observed}. Check each case against "
        "the tutorial's claim and add this version."
    )


@pytest.mark.parametrize("case", CASES)
def test_class_weight_behaviour_is_as_pinned(case, observed):
    expected = PINNED.get(MINOR, {}).get(case)
    if expected is None:
        pytest.fail(f"Keras {keras.__version__}: case {case} not pinned; observed {observed[case]}")
    got = observed[case]
    changed = f"Keras {keras.__version__} changed fit(class_weight) for {case}: expected {expected}, observed {got}"
    assert got["outcome"] == expected["outcome"], changed
    if "message" in expected:
        assert expected["message"] in got["message"], changed
    if expected.get("matches_explicit_weights"):
        # Same step, same data: only float summation order may differ.
        assert got["loss"] == pytest.approx(got["explicit_weight_loss"], rel=1e-6), changed


def test_unknown_case_is_a_value_error():
    with pytest.raises(ValueError, match="unknown case"):
        probe_class_weight("numpy_nhw")
