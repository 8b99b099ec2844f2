"""tests/harness/heap.py: the sessions keep glibc's heap top instead of faulting it in again."""

import glob
import subprocess

import pytest

from tests.harness.heap import TOP_PAD, TOP_PAD_BYTES, TUNABLES, keep_heap


def _kept(environ: dict) -> dict:
    keep_heap(environ)
    return environ


def test_the_top_pad_is_added_to_the_tunables_already_there():
    assert _kept({"PATH": "/bin"}) == {"PATH": "/bin", TUNABLES: f"{TOP_PAD}={TOP_PAD_BYTES}"}
    assert _kept({TUNABLES: "glibc.malloc.arena_max=2"}) == {
        TUNABLES: f"glibc.malloc.arena_max=2:{TOP_PAD}={TOP_PAD_BYTES}"}
    twice = _kept(_kept({}))
    assert twice[TUNABLES].count(TOP_PAD) == 1


def test_a_top_pad_already_chosen_is_kept():
    assert _kept({TUNABLES: f"{TOP_PAD}=1024"}) == {TUNABLES: f"{TOP_PAD}=1024"}


def test_glibc_reads_the_setting():
    """The dynamic loader lists the tunables as the process starts with them (glibc 2.33+)."""
    loaders = sorted(glob.glob("/lib*/ld-linux*.so.*"))
    if not loaders:
        pytest.skip("not a glibc system: the setting does not apply")
    listed = subprocess.run([loaders[0], "--list-tunables"], env=_kept({}), capture_output=True, text=True,
                            check=True).stdout
    assert f"{TOP_PAD}: {TOP_PAD_BYTES:#x}" in listed, listed
