"""The one way an example team's project is run: a copy of examples/NAME, its planted
mistakes switched on through the environment, run by pytest inside this process.

A team's `pipeline.py` reads its switches from `PLANTED_MISTAKES`, a JSON object
`{"SWITCH": value}` (unset: the correct project), and fails on a name it does not have.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent
PLANTED = "PLANTED_MISTAKES"
# Which check raised a failure: every check's message starts "[unetcheck.NAME]".
_CHECK = re.compile(r"\[unetcheck\.(\w+)\]")
# A project with a mistake skips Hypothesis's shrinking (5 s for each failing property test):
# which tests fail, and which check failed them, is asserted, not the smallest example.
_CONFTEST = """\
try:
    from hypothesis import Phase, settings
except ImportError:
    pass
else:
    settings.register_profile("no-shrink", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("no-shrink")
"""


@dataclass(frozen=True)
class Mistake:
    """A planted mistake of a team: its `PLANTED_MISTAKES` switches, the tests it must fail
    (and only those run), and the check whose failure names it."""

    planted: dict[str, Any]
    fails: frozenset[str]
    check: str

    def __init__(self, planted: dict[str, Any], fails: set[str], check: str) -> None:
        object.__setattr__(self, "planted", planted)
        object.__setattr__(self, "fails", frozenset(fails))
        object.__setattr__(self, "check", check)

    @property
    def selection(self) -> str:
        """The tests to run, as pytest's `-k`: those it must fail."""
        return " or ".join(sorted(self.fails))

    @property
    def label(self) -> str:
        return "-".join(f"{k}={v}" for k, v in self.planted.items())


@dataclass
class ProjectRun:
    """What one run of a team's suite gave: pytest's exit code, the count of each outcome,
    `{failed test: the checks named in its failure}`, and every failure's text."""

    exit_code: int
    outcomes: Counter = field(default_factory=Counter)
    failed: dict[str, set[str]] = field(default_factory=dict)
    text: str = ""
    skips: dict[str, str] = field(default_factory=dict)  # {skipped test: the reason given}


def load_frameworks(name: str) -> None:
    """Imports the team's pipeline once, throwing the module away, so that the frameworks it
    imports (and the environment it sets before them) load once in this process.

    A framework's compiled modules cannot be unloaded and loaded again; every run after this
    one reuses them and imports only the team's own modules afresh.
    """
    os.environ.pop(PLANTED, None)  # the correct project's imports
    spec = importlib.util.spec_from_file_location("_team_frameworks", EXAMPLES / name / "pipeline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def _copy_project(name: str, to: Path) -> None:
    source = EXAMPLES / name
    for path in [
        "pipeline.py",
        "pytest.ini",
        *(p.relative_to(source).as_posix() for p in sorted(source.glob("tests/*")) if p.suffix in (".py", ".json")),
    ]:
        (to / path).parent.mkdir(exist_ok=True)
        shutil.copy(source / path, to / path)
    (to / "conftest.py").write_text(_CONFTEST)


def _read_report(report: Path, run: ProjectRun) -> None:
    texts = []
    for case in ET.parse(report).getroot().iter("testcase"):
        problems = [*case.iter("failure"), *case.iter("error")]
        skipped = next(case.iter("skipped"), None)
        run.outcomes["failed" if problems else "skipped" if skipped is not None else "passed"] += 1
        if skipped is not None:
            run.skips[case.get("name")] = skipped.get("message", "")
        for problem in problems:
            text = f"{problem.get('message', '')}\n{problem.text or ''}"
            texts.append(text)
            run.failed.setdefault(case.get("name"), set()).update(_CHECK.findall(text))
    run.text = "\n".join(texts)


def run_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, planted: dict[str, Any] | None = None, *args: str
) -> ProjectRun:
    """Runs a copy of examples/NAME's suite in `tmp_path` with the `planted` switches.

    The team's modules (its pipeline and tests) are imported afresh for the run and removed
    after it; call `load_frameworks` first so that its libraries are not.
    """
    _copy_project(name, tmp_path)
    monkeypatch.setenv(PLANTED, json.dumps(planted or {}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    report = tmp_path / "report.xml"
    before = set(sys.modules)
    try:
        run = ProjectRun(int(pytest.main([f"--rootdir={tmp_path}", f"--junitxml={report}", *args])))
    finally:
        for module in set(sys.modules) - before:
            where = getattr(sys.modules[module], "__file__", None)
            if where and Path(where).resolve().is_relative_to(tmp_path.resolve()):
                del sys.modules[module]
    if report.exists():
        _read_report(report, run)
    return run
