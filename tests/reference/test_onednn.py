"""TensorFlow's oneDNN kernels: asked for on x86 by the command line and the suite, before
TensorFlow loads (TensorFlow leaves them off on AVX2 CPUs, docs/performance.md)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from unetcheck.reference import onednn
from unetcheck.reference.onednn import VARIABLE, onednn_enabled, prefer_onednn

X86 = platform.machine().lower() in ("x86_64", "amd64")


@pytest.mark.parametrize(
    "machine, before, tf_loaded, after, effective",
    [
        ("x86_64", None, False, "1", True),
        ("AMD64", None, False, "1", True),
        ("x86_64", "0", False, "0", False),  # the user's choice stays
        ("x86_64", "1", False, "1", True),
        ("aarch64", None, False, None, False),  # there the variable selects oneDNN with Arm's library
        ("x86_64", None, True, None, False),  # TensorFlow read the variable already
    ],
)
def test_prefer_onednn_asks_only_on_x86_before_tensorflow_loads_and_never_overrides(
    monkeypatch, machine, before, tf_loaded, after, effective
):
    monkeypatch.setattr(onednn.platform, "machine", lambda: machine)
    environ = {k: v for k, v in os.environ.items() if k != VARIABLE}  # the process's own stays as it is
    if before is not None:
        environ[VARIABLE] = before
    monkeypatch.setattr(onednn.os, "environ", environ)
    modules = dict(sys.modules)
    if tf_loaded:
        modules.setdefault("tensorflow", object())
    else:
        modules.pop("tensorflow", None)
    monkeypatch.setattr(onednn.sys, "modules", modules)
    assert prefer_onednn() is effective
    assert environ.get(VARIABLE) == after


@pytest.mark.skipif(not X86, reason="the suite asks for oneDNN on x86 only")
def test_the_suite_asked_tensorflow_for_onednn_before_importing_it():
    """conftest.py's request reached TensorFlow: on an AVX2 CPU TensorFlow's default is off, so
    a request made after TensorFlow loaded would leave it off here."""
    assert os.environ.get(VARIABLE) is not None, "conftest.py did not set it"
    assert onednn_enabled() is (os.environ[VARIABLE].lower() in ("1", "true"))


@pytest.mark.skipif(not X86, reason="the command line asks for oneDNN on x86 only")
def test_the_command_line_asks_for_onednn_before_its_command_runs(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    code = (
        "import os, sys; from unetcheck.job.cli import main; code = main(['compare', 'missing.json']); "
        f"print(code, 'tensorflow' in sys.modules, os.environ.get({VARIABLE!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["2", "False", "1"]  # bad input, TensorFlow not loaded, oneDNN asked for
