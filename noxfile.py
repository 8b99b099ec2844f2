"""Every environment unetcheck is run and tested in, made by nox with uv as the installer.

`make verify` and `make test` call these sessions; `nox -l` lists them. Environments live in
`.nox/` and are reused: a second run installs nothing that is already there. uv links each
package from its cache instead of copying it, so the eight environments share one copy of
torch, TensorFlow and JAX on disk.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "docs", "tests", "team"]

ROOT = Path(__file__).resolve().parent
# The example teams: each has examples/NAME/requirements.txt and the table of its planted
# mistakes, examples/NAME/mistakes.py, which examples/harness runs.
TEAMS = sorted(path.parent.name for path in ROOT.glob("examples/*/mistakes.py"))
#: Each team's last run in seconds, one file a team: the order `make test-teams` starts them in.
TIMES = ROOT / ".nox" / "team-seconds"


sys.path.insert(0, str(ROOT))  # the project's own tools, for the sessions below
from tools import runner  # noqa: E402

CACHE = str(ROOT / ".nox")


def _install(session: nox.Session, *args: str) -> None:
    """`session.install(*args)`, skipped where this environment was made by the same arguments
    from the same pyproject.toml and requirement files: checking a reused environment costs
    uv seconds a session, ten sessions in `make test` (docs/performance.md, "The test suite's
    cost"). The package itself is installed
    editable, so its code needs no install; a change to its dependencies or entry points
    changes pyproject.toml and installs again."""
    named = [ROOT / "pyproject.toml", *(ROOT / path for flag, path in zip(args, args[1:]) if flag == "-r")]
    key = hashlib.sha256("\0".join([*args, *(path.read_text() for path in named)]).encode()).hexdigest()
    stamp = Path(session.virtualenv.location) / ".unetcheck-installed"
    if stamp.is_file() and stamp.read_text() == key:
        session.log("installed already: the same arguments, pyproject.toml and requirement files")
        return
    session.install(*args)
    stamp.write_text(key)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff's format and lint checks over the whole project (its settings: pyproject.toml)."""
    _install(session, "ruff==0.17.5")
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")


@nox.session
def docs(session: nox.Session) -> None:
    """The API reference from the docstrings (mkdocs, mkdocstrings), in strict mode: a broken
    cross-reference or a docstring griffe cannot read fails it. Into .nox/site."""
    session.env.update(runner.session_env(os.environ, CACHE))
    _install(session, "-e", ".", "mkdocs==1.6.1", "mkdocstrings[python]==1.0.8")
    session.run("mkdocs", "build", "--strict")


@nox.session
def verify(session: nox.Session) -> None:
    """The main job: trains the reference on the embedded pets, verifies it, writes the report."""
    session.env.update(runner.session_env(os.environ, CACHE))
    _install(session, "-e", ".[reference]")
    session.run("unetcheck", "verify", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite in one run, in a random order: the CPU tests, each Keras backend and
    tf.distribute in subprocesses (the `backends` and `distributed` marks, which plain
    `pytest` leaves out), the GPU tests skipped with the reason. Arguments go to pytest."""
    session.env.update(runner.session_env(os.environ, CACHE, jax=True))
    _install(session, "-e", ".[test]")
    session.run("pytest", "-m", "", *session.posargs)


@nox.session
def gpu(session: nox.Session) -> None:
    """The GPU tests, in one process that owns the GPU; skipped with the reason where none is visible."""
    session.env.update(runner.session_env(os.environ, CACHE, jax=True))
    _install(session, "-e", ".[gpu,test]")
    session.run("pytest", "-m", "gpu", "-n", "0", *session.posargs)


@nox.session
@nox.parametrize("name", TEAMS)
def team(session: nox.Session, name: str) -> None:
    """One example team in an environment of its own (unetcheck, the team's libraries, pytest):
    its project passes, and each of its planted mistakes fails the right check."""
    # Two teams run at a time on two cores: each framework keeps to one thread.
    session.env.update(runner.session_env(os.environ, CACHE, jax=True, threads=True))
    _install(session, "-e", ".", "-r", f"examples/{name}/requirements.txt", "pytest>=8")
    session.chdir(ROOT / "examples" / "harness")
    started = time.monotonic()
    session.run("pytest", *session.posargs, env={"TEAM": name})
    # The run's seconds, measured: `make test-teams` starts the longest teams first.
    TIMES.mkdir(parents=True, exist_ok=True)
    (TIMES / name).write_text(f"{time.monotonic() - started:.0f}\n")


@nox.session
@nox.parametrize("suite", ["pipeline", "metrics"])
def bench(session: nox.Session, suite: str) -> None:
    """A benchmark suite (pytest-benchmark): benchmarks/pipeline, the reference pipeline's costs;
    benchmarks/metrics, the metrics against MONAI and torchmetrics."""
    session.env.update(runner.session_env(os.environ, CACHE))
    _install(session, "-e", ".[test]")
    session.chdir(ROOT / "benchmarks" / suite)
    session.run("pytest", "-c", "pytest.ini", *session.posargs)
