"""Every environment unetcheck is run and tested in, made by nox with uv as the installer.

`make verify` and `make test` call these sessions; `nox -l` lists them. Environments live in
`.nox/` and are reused: a second run installs nothing that is already there. uv links each
package from its cache instead of copying it, so the eight environments share one copy of
torch, TensorFlow and JAX on disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import runpy
import subprocess
import sys
import time
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "team"]

ROOT = Path(__file__).resolve().parent
# The example teams: each has examples/NAME/requirements.txt and the table of its planted
# mistakes, examples/NAME/mistakes.py, which examples/harness runs.
TEAMS = sorted(path.parent.name for path in ROOT.glob("examples/*/mistakes.py"))
#: Each team's last run in seconds, one file a team: the order `make test-teams` starts them in.
TIMES = ROOT / ".nox" / "team-seconds"


def _pip_sources() -> dict[str, str]:
    """uv's settings for the wheel folders and extra indexes pip is configured with here.

    uv reads no pip configuration; a machine that serves wheels from its own disk (this
    project's runners hold the CPU build of torch there) names them to pip alone.
    """
    listing = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                             capture_output=True, text=True, check=False).stdout
    values: dict[str, list[str]] = {"find-links": [], "extra-index-url": []}
    for key, value in re.findall(r"^[^.\n]*\.([a-z-]+)='(.*)'$", listing, flags=re.M):
        if key in values:
            values[key] += [v for v in value.split() if v not in values[key]]
    links = [link for link in values["find-links"] if Path(link).is_dir() or "://" in link]
    settings = {}
    if links:
        settings["UV_FIND_LINKS"] = ",".join(links)
    if values["extra-index-url"]:
        settings["UV_EXTRA_INDEX_URL"] = " ".join(values["extra-index-url"])
        # pip takes the best version from all its indexes; uv's default stops at the first.
        settings["UV_INDEX_STRATEGY"] = "unsafe-best-match"
    return settings


for _name, _value in _pip_sources().items():
    os.environ.setdefault(_name, _value)

# JAX's persistent compilation cache, kept beside the environments: a run reuses what XLA
# compiled for the same program, JAX release and device in an earlier one (the Flax team and
# the JAX backend's parity run; docs/performance.md, "The test suite's cost"). Every
# compilation is kept, however quick: the teams' runs compile many small programs.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(ROOT / ".nox" / "jax-cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


def _harness(module: str, name: str):
    """A function of tests/harness/MODULE.py, a module without imports, run here in the tools' environment."""
    return runpy.run_path(str(ROOT / "tests" / "harness" / f"{module}.py"))[name]


# Python's bytecode kept in .nox/pycache where the machine forbids writing it (uv compiles
# none when it installs), and glibc's heap top kept instead of faulted in again page by page:
# both for every session (docs/performance.md, "The test suite's cost").
_harness("bytecode", "keep_bytecode")(os.environ, str(ROOT / ".nox" / "pycache"))
_harness("heap", "keep_heap")(os.environ)

# Each framework kept to one thread in a team's run: two teams run at a time on two cores.
_one_thread_settings = _harness("threads", "one_thread_settings")


def _install(session: nox.Session, *args: str) -> None:
    """`session.install(*args)`, skipped where this environment was made by the same arguments
    from the same pyproject.toml and requirement files: checking a reused environment costs
    uv 2-4 s a session, ten sessions in `make test`. The package itself is installed
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
def verify(session: nox.Session) -> None:
    """The main job: trains the reference on the embedded pets, verifies it, writes the report."""
    _install(session, "-e", ".[reference]")
    session.run("unetcheck", "verify", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite in one run, in a random order: the CPU tests, each Keras backend and
    tf.distribute in subprocesses (the `backends` and `distributed` marks, which plain
    `pytest` leaves out), the GPU tests skipped with the reason. Arguments go to pytest."""
    _install(session, "-e", ".[test]")
    session.run("pytest", "-m", "", *session.posargs)


@nox.session
def gpu(session: nox.Session) -> None:
    """The GPU tests, in one process that owns the GPU; skipped with the reason where none is visible."""
    _install(session, "-e", ".[gpu,test]")
    session.run("pytest", "-m", "gpu", "-n", "0", *session.posargs)


@nox.session
@nox.parametrize("name", TEAMS)
def team(session: nox.Session, name: str) -> None:
    """One example team in an environment of its own (unetcheck, the team's libraries, pytest):
    its project passes, and each of its planted mistakes fails the right check."""
    _install(session, "-e", ".", "-r", f"examples/{name}/requirements.txt", "pytest>=8")
    session.chdir(ROOT / "examples" / "harness")
    started = time.monotonic()
    session.run("pytest", *session.posargs, env={**_one_thread_settings(os.environ), "TEAM": name})
    # The run's seconds, measured: `make test-teams` starts the longest teams first.
    TIMES.mkdir(parents=True, exist_ok=True)
    (TIMES / name).write_text(f"{time.monotonic() - started:.0f}\n")


@nox.session
@nox.parametrize("suite", ["pipeline", "metrics"])
def bench(session: nox.Session, suite: str) -> None:
    """A benchmark suite (pytest-benchmark): benchmarks/pipeline, the reference pipeline's costs;
    benchmarks/metrics, the metrics against MONAI and torchmetrics."""
    _install(session, "-e", ".[test]")
    session.chdir(ROOT / "benchmarks" / suite)
    session.run("pytest", "-c", "pytest.ini", *session.posargs)
