"""The README's "Test your own pipeline" examples run as written, and fail as it says."""

from __future__ import annotations

import re

from tests.paths import ROOT


def _examples() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Test your own pipeline", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_readme_has_a_pytorch_and_a_keras_example():
    torch_example, keras_example = _examples()
    assert "import torch" in torch_example and "import tensorflow" in keras_example


def test_pytorch_example_passes_as_written_and_fails_without_eval(pytester):
    torch_example = _examples()[0]
    pytester.makepyfile(test_mine=torch_example)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    without_eval = torch_example.replace("    encoder.eval()", "    pass")
    assert without_eval != torch_example
    pytester.makepyfile(test_mine=without_eval)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    changed = "3 of 7 arrays of frozen part changed: ['1.num_batches_tracked', '1.running_mean', '1.running_var']"
    assert changed in output
    assert "BatchNorm statistics" in output and "which move in training mode without any gradient" in output


def test_keras_example_passes_as_written_and_fails_without_nearest(pytester):
    keras_example = _examples()[1]
    pytester.makepyfile(test_mine=keras_example)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
    pytester.makepyfile(test_mine=keras_example.replace(', method="nearest"', ""))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=0, failed=2)
    result.stdout.fnmatch_lines(["*a mask resized bilinearly invents labels; resize masks with method='nearest'*"])
