"""The old import paths of modules that moved: each still works for one release, and says where
the module went with a DeprecationWarning pointed at the line that imported it."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from typing import Any


def _importer_level(old: str) -> int:
    """The `stacklevel`, from `moved`, of the line that imported `old`: the first frame that is
    neither this module's, nor the old path's module, nor the import machinery's."""
    frame, level = sys._getframe(2), 2  # `moved` is level 1, the old path's module level 2
    while frame is not None:
        machinery = frame.f_code.co_filename.startswith("<frozen importlib")  # `warnings` skips these itself
        if not machinery and frame.f_globals.get("__name__") not in (__name__, old, "importlib"):
            return level
        frame, level = frame.f_back, level + (not machinery)
    return level


#: Old module path -> new one.
MOVED = {
    "unetcheck.checks.scores": "unetcheck.metrics.scores",
    "unetcheck.checks.boundary": "unetcheck.metrics.boundary",
    "unetcheck.checks.surface": "unetcheck.metrics.surface",
    "unetcheck.checks.per_image": "unetcheck.metrics.per_image",
    "unetcheck.checks.registry": "unetcheck.metrics.registry",
    "unetcheck.checks.streaming": "unetcheck.metrics.streaming",
    "unetcheck.checks.regression": "unetcheck.metrics.regression",
    "unetcheck.checks.regression_report": "unetcheck.metrics.regression_report",
    "unetcheck.checks.metrics": "unetcheck.metrics",
}


def moved(old: str) -> Callable[[str], Any]:
    """Warns that module `old` moved, and returns its `__getattr__`: every name of the new
    module (and `assert_no_regression`, a check now, from the old regression module)."""
    new = importlib.import_module(MOVED[old])
    warnings.warn(
        f"{old} moved to {MOVED[old]}; the old path will be removed in the next release",
        DeprecationWarning,
        stacklevel=_importer_level(old),
    )

    def __getattr__(name: str) -> Any:
        if name == "assert_no_regression" and old == "unetcheck.checks.regression":
            from unetcheck.checks.gate import assert_no_regression

            return assert_no_regression
        return getattr(new, name)

    return __getattr__
