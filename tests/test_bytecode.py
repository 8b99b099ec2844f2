"""tests/harness/bytecode.py: the sessions keep bytecode out of the source tree where the machine forbids writing it."""

import subprocess
import sys

from tests.harness.bytecode import FORBID, PREFIX, keep_bytecode


def _kept(environ: dict, folder: str = "/cache") -> dict:
    keep_bytecode(environ, folder)
    return environ


def test_nothing_changes_where_bytecode_may_be_written():
    assert _kept({"PATH": "/bin"}) == {"PATH": "/bin"}
    assert _kept({FORBID: ""}) == {FORBID: ""}  # Python reads an empty value as unset


def test_a_forbidding_machine_gets_a_folder_of_its_own_and_a_chosen_one_is_kept():
    assert _kept({"PATH": "/bin", FORBID: "1"}) == {"PATH": "/bin", PREFIX: "/cache"}
    assert _kept({FORBID: "1", PREFIX: "/mine"}) == {PREFIX: "/mine"}


def test_python_then_writes_the_bytecode_under_the_folder_and_not_beside_the_source(tmp_path):
    source, cache = tmp_path / "src", tmp_path / "cache"
    source.mkdir()
    (source / "probe.py").write_text("VALUE = 1\n")
    env = _kept({"PATH": "/usr/bin:/bin", FORBID: "1"}, str(cache))
    subprocess.run([sys.executable, "-c", "import probe"], cwd=source, env=env, check=True)
    # The prefix holds the folder's absolute path (the standard library's bytecode lands there too).
    assert (cache / source.relative_to(source.anchor) / f"probe.{sys.implementation.cache_tag}.pyc").is_file()
    assert not list(source.rglob("*.pyc"))
