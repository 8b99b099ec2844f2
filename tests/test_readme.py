"""The README's "Test your own pipeline" example runs as written, and can fail."""

from __future__ import annotations

import re

from tests.paths import ROOT


def _example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Test your own pipeline", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_passes_as_written(pytester):
    pytester.makepyfile(test_mine=_example())
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_readme_example_fails_without_nearest(pytester):
    code = _example().replace(', method="nearest"', "")
    pytester.makepyfile(test_mine=code)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=0, failed=2)
    result.stdout.fnmatch_lines(["*a mask resized bilinearly invents labels; resize masks with method='nearest'*"])
