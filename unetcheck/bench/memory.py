"""Peak memory of one call, beyond what the process held before it (Linux: the kernel's
high-water mark of resident memory, reset through /proc/self/clear_refs), so that
allocations by C libraries (PyTorch, SciPy) count as much as Python's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def peak_extra_bytes(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int | None:
    """Bytes of resident memory `fn(*args, **kwargs)` added at its peak; None where the
    system keeps no resettable high-water mark (not Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident size
        before = _status("VmRSS")
    except OSError:
        return None
    fn(*args, **kwargs)
    return max(0, _status("VmHWM") - before)
