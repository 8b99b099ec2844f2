"""One example team in the environment of its own: it holds none of the frameworks the team
does not use, its correct project passes, and each planted mistake (`mistakes.py` beside
the team's pipeline) fails exactly the tests it names, through the check it names. Every
run is in this process, so the team's frameworks load once.

Run from this folder as `TEAM=NAME pytest` (`nox -s "team(name='NAME')"`, `make test-team-NAME`).
"""

from __future__ import annotations

import importlib.util
import os

import pytest
from teamrun import EXAMPLES, load_frameworks, run_project

TEAM = os.environ.get("TEAM", "")
if not (EXAMPLES / TEAM / "mistakes.py").is_file():
    raise pytest.UsageError(f"set TEAM to a folder of examples/ with a mistakes.py; got {TEAM!r}")
_spec = importlib.util.spec_from_file_location(f"{TEAM}_mistakes", EXAMPLES / TEAM / "mistakes.py")
table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(table)


@pytest.fixture(scope="session")
def frameworks():
    load_frameworks(TEAM)


@pytest.mark.parametrize("module", table.ABSENT)
def test_the_environment_holds_only_the_teams_frameworks(module):
    assert importlib.util.find_spec(module) is None, f"{module} is installed in {TEAM}'s environment"


def test_correct_project_passes(frameworks, tmp_path, monkeypatch):
    """Every test passes; a `gpu` test may only skip, with the plugin's reason, where no GPU is visible."""
    run = run_project(tmp_path, monkeypatch, TEAM)
    assert not run.failed, run.text
    assert run.outcomes["passed"] > 0 and set(run.outcomes) <= {"passed", "skipped"}, run.outcomes
    assert all("no GPU visible" in reason for reason in run.skips.values()), run.skips
    assert run.exit_code == 0


def test_an_unknown_switch_is_refused(frameworks, tmp_path, monkeypatch):
    run = run_project(tmp_path, monkeypatch, TEAM, {"NO_SUCH_SWITCH": 1})
    assert run.exit_code != 0
    assert "no switch ['NO_SUCH_SWITCH']" in run.text, run.text


@pytest.mark.parametrize("mistake", table.MISTAKES, ids=[m.label for m in table.MISTAKES])
def test_each_mistake_fails_the_right_check(frameworks, tmp_path, monkeypatch, mistake):
    run = run_project(tmp_path, monkeypatch, TEAM, mistake.planted, "-k", mistake.selection)
    assert set(run.failed) == mistake.fails, run.text
    assert any(mistake.check in checks for checks in run.failed.values()), run.failed
