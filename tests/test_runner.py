"""tools/runner.py: what the sessions set over the caller's environment: bytecode kept out of the
source tree where the machine forbids writing it, glibc's heap top kept, one thread per
framework, and all of it as one session's settings."""

import glob
import subprocess
import sys

import pytest

from tools.runner import (
    FORBID,
    ONE_THREAD,
    PREFIX,
    TOP_PAD,
    TOP_PAD_BYTES,
    TUNABLES,
    XLA_ONE_THREAD,
    keep_bytecode,
    keep_heap,
    one_thread,
    one_thread_settings,
    session_env,
)


def _bytecode_kept(environ: dict, folder: str = "/cache") -> dict:
    keep_bytecode(environ, folder)
    return environ


def test_nothing_changes_where_bytecode_may_be_written():
    assert _bytecode_kept({"PATH": "/bin"}) == {"PATH": "/bin"}
    assert _bytecode_kept({FORBID: ""}) == {FORBID: ""}  # Python reads an empty value as unset


def test_a_forbidding_machine_gets_a_folder_of_its_own_and_a_chosen_one_is_kept():
    assert _bytecode_kept({"PATH": "/bin", FORBID: "1"}) == {"PATH": "/bin", PREFIX: "/cache"}
    assert _bytecode_kept({FORBID: "1", PREFIX: "/mine"}) == {PREFIX: "/mine"}


def test_python_then_writes_the_bytecode_under_the_folder_and_not_beside_the_source(tmp_path):
    source, cache = tmp_path / "src", tmp_path / "cache"
    source.mkdir()
    (source / "probe.py").write_text("VALUE = 1\n")
    env = _bytecode_kept({"PATH": "/usr/bin:/bin", FORBID: "1"}, str(cache))
    subprocess.run([sys.executable, "-c", "import probe"], cwd=source, env=env, check=True)
    # The prefix holds the folder's absolute path (the standard library's bytecode lands there too).
    assert (cache / source.relative_to(source.anchor) / f"probe.{sys.implementation.cache_tag}.pyc").is_file()
    assert not list(source.rglob("*.pyc"))


def _heap_kept(environ: dict) -> dict:
    keep_heap(environ)
    return environ


def test_the_top_pad_is_added_to_the_tunables_already_there():
    assert _heap_kept({"PATH": "/bin"}) == {"PATH": "/bin", TUNABLES: f"{TOP_PAD}={TOP_PAD_BYTES}"}
    assert _heap_kept({TUNABLES: "glibc.malloc.arena_max=2"}) == {
        TUNABLES: f"glibc.malloc.arena_max=2:{TOP_PAD}={TOP_PAD_BYTES}"
    }
    twice = _heap_kept(_heap_kept({}))
    assert twice[TUNABLES].count(TOP_PAD) == 1


def test_a_top_pad_already_chosen_is_kept():
    assert _heap_kept({TUNABLES: f"{TOP_PAD}=1024"}) == {TUNABLES: f"{TOP_PAD}=1024"}


def test_glibc_reads_the_setting():
    """The dynamic loader lists the tunables as the process starts with them (glibc 2.33+)."""
    loaders = sorted(glob.glob("/lib*/ld-linux*.so.*"))
    if not loaders:
        pytest.skip("not a glibc system: the setting does not apply")
    listed = subprocess.run(
        [loaders[0], "--list-tunables"], env=_heap_kept({}), capture_output=True, text=True, check=True
    ).stdout
    assert f"{TOP_PAD}: {TOP_PAD_BYTES:#x}" in listed, listed


def test_one_thread_sets_each_framework_and_keeps_the_rest():
    environ = {"PATH": "/bin", "XLA_FLAGS": "--xla_dump_to=/tmp/x"}
    changed = one_thread(environ)
    assert changed["PATH"] == "/bin" and changed.items() >= ONE_THREAD.items()
    assert changed["XLA_FLAGS"] == f"--xla_dump_to=/tmp/x {XLA_ONE_THREAD}"
    assert environ == {"PATH": "/bin", "XLA_FLAGS": "--xla_dump_to=/tmp/x"}  # a copy
    assert one_thread(changed)["XLA_FLAGS"] == changed["XLA_FLAGS"]  # the flag once
    assert one_thread({})["XLA_FLAGS"] == XLA_ONE_THREAD
    # What nox sets over a session's own environment (its PATH included): those variables alone.
    assert one_thread_settings(environ) == {**ONE_THREAD, "XLA_FLAGS": changed["XLA_FLAGS"]}


def test_a_session_sets_only_what_changes(monkeypatch):
    import tools.runner as runner

    monkeypatch.setattr(runner, "pip_sources", lambda: {"UV_FIND_LINKS": "/wheels"})
    environ = {"PATH": "/bin", FORBID: "1", "XLA_FLAGS": "--xla_dump_to=/x"}
    settings = session_env(environ, "/cache", jax=True, threads=True)
    assert settings == {
        "UV_FIND_LINKS": "/wheels",
        PREFIX: "/cache/pycache",
        FORBID: "",  # read as unset
        TUNABLES: f"{TOP_PAD}={TOP_PAD_BYTES}",
        "JAX_COMPILATION_CACHE_DIR": "/cache/jax-cache",
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        **ONE_THREAD,
        "XLA_FLAGS": f"--xla_dump_to=/x {XLA_ONE_THREAD}",
    }
    assert session_env({"UV_FIND_LINKS": "/mine"}, "/cache") == {TUNABLES: f"{TOP_PAD}={TOP_PAD_BYTES}"}


def test_make_starts_the_longest_recorded_team_first_and_each_team_once(tmp_path):
    """A fresh clone has no timings of its own: `make test-teams` orders the teams by the
    recorded ones (examples/harness/team-seconds.txt), which must name every team."""
    from tests.paths import ROOT

    recorded = [line.split() for line in (ROOT / "examples/harness/team-seconds.txt").read_text().splitlines()]
    teams = sorted(path.parent.name for path in ROOT.glob("examples/*/mistakes.py"))
    assert sorted(name for _, name in recorded) == teams and all(seconds.isdigit() for seconds, _ in recorded)
    longest = max(recorded, key=lambda row: int(row[0]))[1]
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", "test-teams", f"TIMES={tmp_path / 'none'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    started = next(line for line in dry.splitlines() if "test-team-" in line).split()
    order = [word.removeprefix("test-team-") for word in started if word.startswith("test-team-")]
    assert sorted(order) == teams and order[0] == longest
