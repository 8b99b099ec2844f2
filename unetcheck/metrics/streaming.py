"""Running tasks in order over a stream, in this process, in worker processes, or on any
`concurrent.futures.Executor` (a Dask distributed client's `get_executor()` runs them on a
cluster), with a bounded number in flight so that memory stays that of a few tasks.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Tasks in flight per worker: one running, one waiting, so no worker idles between tasks.
IN_FLIGHT_PER_WORKER = 2


def check_workers(workers: int) -> int:
    """`workers` as a count of at least 1; a ValueError names anything else."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1; got {workers!r}")
    return workers


#: Frameworks whose runtimes start threads of their own: a process holding one never forks.
_THREADED = ("tensorflow", "torch", "jax")


def start_method() -> str:
    """How worker processes start: "fork" where that is safe, on Linux in a process running
    one thread with no threaded framework loaded (sooner than a fresh interpreter, which
    imports everything again: docs/performance.md, "Metrics against MONAI and
    torchmetrics"); "spawn" everywhere else, as a fork would copy other threads' locks
    mid-flight."""
    safe = (
        sys.platform == "linux" and threading.active_count() == 1 and not any(name in sys.modules for name in _THREADED)
    )
    return "fork" if safe else "spawn"


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[concurrent.futures.Executor | None]:
    """`workers` processes (`start_method`), or None for one: this process."""
    if check_workers(workers) == 1:
        yield None
        return
    method = start_method()
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        if method == "fork":
            pool.submit(int).result()  # forks every worker now, while this process still runs one thread
        yield pool


@contextlib.contextmanager
def _executor(workers: int, executor: concurrent.futures.Executor | None) -> Iterator[Any]:
    if executor is not None:
        yield executor
    else:
        with worker_pool(workers) as pool:
            yield pool


def run_ordered(
    fn: Callable[[T], R], tasks: Iterable[T], workers: int = 1, executor: concurrent.futures.Executor | None = None
) -> Iterator[R]:
    """`fn(task)` for each task, yielded in the tasks' order.

    With `workers` > 1, in that many new processes; with `executor`, on it (then `workers`
    bounds the tasks in flight, `IN_FLIGHT_PER_WORKER` each). Tasks are drawn from the
    iterable only as results are taken, so an unbounded stream is fine. `fn` and the tasks
    must pickle for anything but one worker in this process.
    """
    workers = check_workers(workers)
    with _executor(workers, executor) as pool:
        if pool is None:
            for task in tasks:
                yield fn(task)
            return
        pending: collections.deque = collections.deque()
        try:
            for task in tasks:
                pending.append(pool.submit(fn, task))
                if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
