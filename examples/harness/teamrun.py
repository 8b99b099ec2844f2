"""Running an example team's project under pytester: a copy of examples/NAME with some of
`pipeline.py`'s switches set, and the failures of its suite by test name."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent


def copy_project(pytester: pytest.Pytester, name: str, **switches: object) -> None:
    """Copies examples/NAME (its pipeline, pytest.ini and tests) into pytester's folder, with
    each `SWITCH = value` line of `pipeline.py` named in `switches` set to that value."""
    source_dir = EXAMPLES / name
    for path in ["pipeline.py", "pytest.ini", *(p.relative_to(source_dir).as_posix()
                                                for p in sorted(source_dir.glob("tests/*.py")))]:
        (pytester.path / path).parent.mkdir(exist_ok=True)
        shutil.copy(source_dir / path, pytester.path / path)
    source = (pytester.path / "pipeline.py").read_text()
    for switch, value in switches.items():
        line = next((line for line in source.splitlines() if line.startswith(f"{switch} = ")), None)
        if line is None:
            raise ValueError(f"examples/{name}/pipeline.py has no switch {switch}")
        source = source.replace(line, f"{switch} = {value!r}")
    (pytester.path / "pipeline.py").write_text(source)


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, str]]:
    """Runs the copied project's suite in a Python of its own (a framework's compiled
    modules load once per process, so in-process runs cannot follow one another); returns
    the run and `{test name: failure text}` read from its JUnit XML report."""
    report = pytester.path / "report.xml"
    result = pytester.runpytest_subprocess(f"--junitxml={report}", *args)
    failed = {}
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            for problem in (*case.iter("failure"), *case.iter("error")):
                failed[case.get("name")] = f"{problem.get('message', '')}\n{problem.text or ''}"
    return result, failed
