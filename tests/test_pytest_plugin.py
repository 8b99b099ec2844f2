"""The pytest plugin: polite to every project in the environment, useful to those that ask."""

from __future__ import annotations

import re

import pytest

UNRELATED = """
import random
import sys

import pytest


def test_plain():
    print("RANDOM", random.random())
    heavy = [m for m in ("tensorflow", "keras", "torch", "jax") if m in sys.modules]
    assert heavy == [], heavy


@pytest.mark.gpu
def test_their_own_gpu_marker():
    pass
"""


def test_an_unrelated_project_is_left_as_it_is(pytester):
    """Its own `gpu` marker untouched (not skipped), no framework imported, no seed set."""
    pytester.makeini("[pytest]\nmarkers =\n    gpu: our own GPU tests\naddopts = -p no:cacheprovider -s\n")
    pytester.makepyfile(test_theirs=UNRELATED)
    runs = [pytester.runpytest_subprocess() for _ in range(2)]
    for result in runs:
        result.assert_outcomes(passed=2)
    draws = [re.search(r"RANDOM (\S+)", r.stdout.str()).group(1) for r in runs]
    assert draws[0] != draws[1]  # nothing seeded Python's generator
    assert any("unetcheck" in line for line in runs[0].stdout.lines if line.startswith("plugins:"))


def test_the_gpu_skip_is_opt_in_and_names_its_framework(pytester):
    pytester.makeini("[pytest]\nunetcheck_gpu = torch\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(test_gpu="import pytest\n\n@pytest.mark.gpu\ndef test_on_gpu():\n    pass\n")
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*no GPU visible to torch*"])
    pytester.makeini("[pytest]\nunetcheck_gpu = cuda\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unetcheck_gpu must be one of*"])


def test_options_fixtures_and_golden_versions(pytester):
    pytester.makepyfile(
        """
        import numpy as np

        def test_settings(unetcheck_settings, unetcheck_preprocess, unetcheck_source):
            assert unetcheck_settings == {"size": 64, "seed": 3}
            image, mask = unetcheck_preprocess(next(iter(unetcheck_source.split("test"))))
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
    assert "numpy:" in versions and "keras:" in versions  # the frameworks the session has loaded
    second = pytester.runpytest("-p", "no:cacheprovider", "--unetcheck-size", "64", "--unetcheck-seed", "3")
    second.assert_outcomes(passed=2)
    pytester.makepyfile(
        test_changed="""
        import numpy as np

        def test_golden(unetcheck_golden):
            unetcheck_golden.check_arrays({"x": np.arange(3.0) + 0.1}, "golden/x.npz",
                                          default_tolerance={"atol": 1e-6, "rtol": 0})
        """
    )
    changed = pytester.runpytest("-p", "no:cacheprovider", "test_changed.py")
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(["*golden x.npz was recorded with*keras*installed*"])


def test_help_shows_the_option_group(pytester):
    pytester.runpytest("--help").stdout.fnmatch_lines(["unetcheck reference fixtures:", "*--unetcheck-size*"])


def test_reference_pipelines_start_from_the_same_state_in_every_test(pytester):
    """No random state shared across tests: the first training batch (shuffle order and flips)
    is the same in each test that asks for the pipelines, whatever ran before it."""
    pytester.makepyfile(
        """
        import numpy as np

        FIRST = []

        def _first(pipelines):
            images, masks = next(iter(pipelines.train))
            return np.asarray(images), np.asarray(masks)

        def test_one(unetcheck_pipelines):
            FIRST.append(_first(unetcheck_pipelines))

        def test_two(unetcheck_pipelines):
            FIRST.append(_first(unetcheck_pipelines))
            for a, b in zip(*FIRST):
                np.testing.assert_array_equal(a, b)
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(passed=2)


def test_the_old_fixture_names_still_work_and_warn(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_old(reference_preprocess, unetcheck_preprocess):
            assert reference_preprocess.func is unetcheck_preprocess.func
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error::DeprecationWarning")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'reference_preprocess' is deprecated: use 'unetcheck_preprocess'*"])
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*DeprecationWarning: unetcheck's fixture 'reference_preprocess' is deprecated*"])
