"""The pytest plugin as users run it: an example consumer project under pytester."""

from __future__ import annotations

import shutil

import pytest

from tests.paths import ROOT

CONSUMER = ROOT / "examples" / "consumer"


def _consumer(pytester: pytest.Pytester, **switches: object):
    """Copies the example consumer, with `pipeline.py`'s switches set, into pytester's folder."""
    for path in ("pipeline.py", "pytest.ini", "tests/test_pipeline.py"):
        (pytester.path / path).parent.mkdir(exist_ok=True)
        shutil.copy(CONSUMER / path, pytester.path / path)
    source = (pytester.path / "pipeline.py").read_text()
    for name, value in switches.items():
        line = next(line for line in source.splitlines() if line.startswith(f"{name} = "))
        source = source.replace(line, f"{name} = {value!r}")
    (pytester.path / "pipeline.py").write_text(source)


def _failures(pytester: pytest.Pytester, *args: str) -> dict[str, str]:
    """Runs the consumer's suite in-process; returns `{test name: failure text}`."""
    _, _, failed = pytester.inline_run("-p", "no:cacheprovider", *args).listoutcomes()
    return {report.nodeid.split("::")[-1]: report.longreprtext for report in failed}


def test_correct_consumer_passes(pytester):
    _consumer(pytester)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*no GPU visible to the Keras 'tensorflow' backend*"])


@pytest.mark.parametrize(
    "switches, failing, message",
    [
        ({"MASK_RESIZE": "bilinear"},
         {"test_preprocessing_matches_the_reference", "test_labels_in_range",
          "test_labels_in_range_for_any_trimap"},
         "resize masks with method='nearest'"),
        ({"SHIFT_LABELS": False},
         {"test_preprocessing_matches_the_reference", "test_labels_in_range",
          "test_labels_in_range_for_any_trimap"},
         "trimap labels 1..3 were not shifted to 0..2"),
        ({"PAIRED_FLIP": False}, {"test_flip_is_paired"},
         "flipped differently from their masks"),
    ],
    ids=["bilinear_mask", "labels_1_to_3", "unpaired_flip"],
)
def test_broken_data_consumer_fails_the_right_check(pytester, switches, failing, message):
    _consumer(pytester, **switches)
    failures = _failures(pytester, "-k", "not frozen")  # the model is not at fault here
    assert set(failures) == failing
    assert any(message in text for text in failures.values()), failures


def test_unfrozen_encoder_consumer_fails_assert_frozen(pytester):
    _consumer(pytester, FREEZE_ENCODER=False)
    failures = _failures(pytester, "-k", "frozen or flip")  # the data tests do not touch the model
    assert set(failures) == {"test_encoder_stays_frozen"}
    assert "[unetcheck.assert_frozen]" in failures["test_encoder_stays_frozen"]
    assert "weights of frozen 'encoder' changed" in failures["test_encoder_stays_frozen"]


def test_options_fixtures_and_golden_versions(pytester):
    pytester.makepyfile(
        """
        import numpy as np

        def test_settings(unetcheck_settings, reference_preprocess, synthetic_source):
            assert unetcheck_settings == {"size": 64, "seed": 3}
            image, mask = reference_preprocess(next(iter(synthetic_source.split("test"))))
            assert image.shape == (64, 64, 3)

        def test_golden(unetcheck_golden, tmp_path_factory):
            unetcheck_golden.check_arrays({"x": np.arange(3.0)}, "golden/x.npz",
                                          default_tolerance={"atol": 1e-6, "rtol": 0})
        """
    )
    pytester.mkdir("golden")
    first = pytester.runpytest("-p", "no:cacheprovider", "--unetcheck-size", "64", "--unetcheck-seed", "3")
    first.assert_outcomes(passed=1, failed=1)  # a missing golden is written and the test fails
    versions = (pytester.path / "golden" / "x.versions.yml").read_text()
    assert "keras:" in versions and "tensorflow:" in versions
    second = pytester.runpytest("-p", "no:cacheprovider", "--unetcheck-size", "64", "--unetcheck-seed", "3")
    second.assert_outcomes(passed=2)
    pytester.makepyfile(test_changed="""
        import numpy as np

        def test_golden(unetcheck_golden):
            unetcheck_golden.check_arrays({"x": np.arange(3.0) + 0.1}, "golden/x.npz",
                                          default_tolerance={"atol": 1e-6, "rtol": 0})
        """)
    changed = pytester.runpytest("-p", "no:cacheprovider", "test_changed.py")
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(["*golden x.npz was recorded with*keras*installed*"])


def test_help_shows_the_option_group(pytester):
    pytester.runpytest("--help").stdout.fnmatch_lines(["unetcheck reference fixtures:", "*--unetcheck-size*"])
