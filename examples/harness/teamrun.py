"""The one way an example team's project is run: a copy of examples/NAME under pytester,
its planted mistakes switched on through the environment, in a Python of its own.

A team's `pipeline.py` reads its switches from `PLANTED_MISTAKES`, a JSON object
`{"SWITCH": value}` (unset: the correct project), and fails on a name it does not have.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent
PLANTED = "PLANTED_MISTAKES"
# Which check raised a failure: every check's message starts "[unetcheck.NAME]".
_CHECK = re.compile(r"\[unetcheck\.(\w+)\]")
# A project with a mistake skips Hypothesis's shrinking (5 s for each failing property test):
# which tests fail, and which check failed them, is asserted, not the smallest example.
_CONFTEST = '''\
try:
    from hypothesis import Phase, settings
except ImportError:
    pass
else:
    settings.register_profile("no-shrink", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("no-shrink")
'''


def run_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str,
                planted: dict[str, Any] | None = None, *args: str) -> tuple[pytest.RunResult, dict[str, set[str]]]:
    """Runs examples/NAME's suite with the `planted` switches; returns the run and
    `{failed test: the checks named in its failure}`.

    In a Python of its own: a framework's compiled modules load once per process, so runs
    in one process cannot follow one another.
    """
    source = EXAMPLES / name
    for path in ["pipeline.py", "pytest.ini", *(p.relative_to(source).as_posix() for p in sorted(source.glob("tests/*"))
                                                if p.suffix in (".py", ".json"))]:
        (pytester.path / path).parent.mkdir(exist_ok=True)
        shutil.copy(source / path, pytester.path / path)
    (pytester.path / "conftest.py").write_text(_CONFTEST)
    monkeypatch.setenv(PLANTED, json.dumps(planted or {}))
    report = pytester.path / "report.xml"
    result = pytester.runpytest_subprocess(f"--junitxml={report}", *args)
    failed: dict[str, set[str]] = {}
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            for problem in (*case.iter("failure"), *case.iter("error")):
                text = f"{problem.get('message', '')}\n{problem.text or ''}"
                failed.setdefault(case.get("name"), set()).update(_CHECK.findall(text))
    return result, failed
