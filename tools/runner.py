"""How the sessions of `noxfile.py` run on this project's runners: where uv finds the wheels pip
is configured with, where Python keeps its bytecode, glibc's heap, one thread per framework,
JAX's compilation cache. Each is a setting of a session's environment, applied by the session
that needs it; importing this module runs nothing. The measurements behind each:
docs/performance.md, "The test suite's cost".

Standard library only: `noxfile.py` imports it in the tools' environment, and the suite's
subprocess tests take `one_thread` from it.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections.abc import Mapping, MutableMapping

#: A runner that sets this makes every process compile each module it imports again.
FORBID = "PYTHONDONTWRITEBYTECODE"
PREFIX = "PYTHONPYCACHEPREFIX"
TUNABLES = "GLIBC_TUNABLES"
#: How much free memory glibc keeps at the top of the heap (and asks for beyond each request).
TOP_PAD = "glibc.malloc.top_pad"
TOP_PAD_BYTES = 256 * 2**20
ONE_THREAD = {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"


@functools.cache
def pip_sources() -> dict[str, str]:
    """uv's settings for the wheel folders and extra indexes pip is configured with here (uv
    reads no pip configuration; these runners serve the CPU build of torch from their own
    disk to pip alone). Asks pip once, when first called."""
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    values: dict[str, list[str]] = {"find-links": [], "extra-index-url": []}
    for key, value in re.findall(r"^[^.\n]*\.([a-z-]+)='(.*)'$", listing, flags=re.M):
        if key in values:
            values[key] += [v for v in value.split() if v not in values[key]]
    links = [link for link in values["find-links"] if os.path.isdir(link) or "://" in link]
    settings = {}
    if links:
        settings["UV_FIND_LINKS"] = ",".join(links)
    if values["extra-index-url"]:
        settings["UV_EXTRA_INDEX_URL"] = " ".join(values["extra-index-url"])
        # pip takes the best version from all its indexes; uv's default stops at the first.
        settings["UV_INDEX_STRATEGY"] = "unsafe-best-match"
    return settings


def keep_bytecode(environ: MutableMapping[str, str], folder: str) -> None:
    """Python writes bytecode under `folder` where the machine forbids writing it (uv compiles
    none when it installs, so every import would compile TensorFlow again); a prefix already
    chosen is kept, and nothing changes where writing is allowed."""
    if environ.get(FORBID):
        environ.setdefault(PREFIX, folder)
        del environ[FORBID]


def keep_heap(environ: MutableMapping[str, str]) -> None:
    """glibc keeps `TOP_PAD_BYTES` at the top of its heap instead of handing it back after each
    large free and faulting it in again page by page; the tunables already set are kept, and
    a top pad already chosen wins."""
    tunables = [t for t in environ.get(TUNABLES, "").split(":") if t]
    if not any(t.split("=")[0] == TOP_PAD for t in tunables):
        environ[TUNABLES] = ":".join([*tunables, f"{TOP_PAD}={TOP_PAD_BYTES}"])


def keep_jax_compilations(environ: MutableMapping[str, str], folder: str) -> None:
    """JAX's persistent compilation cache in `folder`, every compilation kept however quick: a
    run reuses what XLA compiled for the same program, release and device in an earlier one."""
    environ.setdefault("JAX_COMPILATION_CACHE_DIR", folder)
    environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


def one_thread_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables that keep each framework to one thread (TensorFlow's intra-op pool, XLA's
    Eigen pool, OpenMP) over `environ`, its XLA_FLAGS kept: two busy processes on two cores,
    where a second thread only spins while it waits for a core."""
    flags = environ.get("XLA_FLAGS", "")
    return {**ONE_THREAD, "XLA_FLAGS": flags if XLA_ONE_THREAD in flags else f"{flags} {XLA_ONE_THREAD}".strip()}


def one_thread(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of `environ` with each framework kept to one thread (for a subprocess's `env`)."""
    return {**environ, **one_thread_settings(environ)}


def session_env(environ: Mapping[str, str], cache: str, jax: bool = False, threads: bool = False) -> dict[str, str]:
    """What a session sets over the caller's `environ`: uv's wheel sources, the bytecode under
    `cache`/pycache, glibc's heap top; JAX's compilations under `cache`/jax-cache (`jax`);
    each framework to one thread (`threads`). A variable the tuning removes is set empty,
    which Python reads as unset."""
    tuned = {**pip_sources(), **environ}
    keep_bytecode(tuned, os.path.join(cache, "pycache"))
    keep_heap(tuned)
    if jax:
        keep_jax_compilations(tuned, os.path.join(cache, "jax-cache"))
    if threads:
        tuned.update(one_thread_settings(tuned))
    changed = {key: value for key, value in tuned.items() if environ.get(key) != value}
    return {**changed, **{key: "" for key in environ if key not in tuned}}
