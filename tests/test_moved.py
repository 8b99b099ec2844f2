"""The modules that moved to `unetcheck.metrics` still import from their old paths for one
release: each warns where it went, pointed at the importing line, and gives the same objects."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import ROOT
from unetcheck._moved import MOVED

PROBE = """
import importlib, warnings
from unetcheck._moved import MOVED
for old, new in MOVED.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    (warning,) = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert str(warning.message) == f"{old} moved to {new}; the old path will be removed in the next release"
    assert warning.filename == "<string>", warning.filename  # the importing line, not the machinery
    moved_to = importlib.import_module(new)
    names = [n for n in dir(moved_to) if not n.startswith("__")]
    assert names and all(getattr(module, n) is getattr(moved_to, n) for n in names), old
from unetcheck.checks.regression import assert_no_regression
from unetcheck.checks import assert_no_regression as the_check
assert assert_no_regression is the_check
print("ok", len(MOVED))
"""


def test_every_old_path_warns_and_gives_the_new_modules_objects():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"ok {len(MOVED)}"
