"""TensorFlow's oneDNN kernels: whether they run, and asking for them where TensorFlow leaves them off.

TensorFlow turns its oneDNN ops on by default only on x86 CPUs with AVX-512 VNNI, bfloat16 or
AMX. On AVX2 CPUs (most CI runners) its convolutions then run through Eigen, and the
reference trains slower than with oneDNN's AVX2 kernels (docs/performance.md measures it).
Imports nothing heavy: the command line and the test suite call `prefer_onednn` before
TensorFlow loads.
"""

from __future__ import annotations

import os
import platform
import sys

#: TensorFlow's switch, read once when TensorFlow is imported.
VARIABLE = "TF_ENABLE_ONEDNN_OPTS"


def prefer_onednn() -> bool:
    """Sets `TF_ENABLE_ONEDNN_OPTS=1` on x86 unless it is already set (an explicit 0 stays).

    Returns whether TensorFlow will see the request: False on other CPUs (on ARM the variable
    selects another library), where the variable says otherwise, or once TensorFlow is imported.
    """
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    if "tensorflow" in sys.modules:
        return False
    os.environ.setdefault(VARIABLE, "1")
    return os.environ[VARIABLE].lower() in ("1", "true")  # as TensorFlow reads a boolean variable


def onednn_enabled() -> bool:
    """Whether this process's TensorFlow runs its oneDNN ops (imports TensorFlow)."""
    # TensorFlow's own tests ask the same (test_util.IsMklEnabled); there is no public form.
    try:
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):  # a TensorFlow that moved it: the rules then keep TensorFlow's forms
        return False
