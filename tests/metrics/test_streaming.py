"""Tasks run in order over a stream: in this process, in worker processes or on any
executor, with a bounded number in flight."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys

import pytest

from unetcheck.metrics.streaming import check_workers, run_ordered, start_method


def test_a_stream_is_read_as_results_are_taken():
    """Memory bounded by a few batches: at most two tasks per worker drawn ahead."""
    drawn = []

    def tasks():
        for i in range(20):
            drawn.append(i)
            yield i

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for taken, result in enumerate(run_ordered(lambda i: i * i, tasks(), workers=2, executor=pool)):
            assert result == taken * taken  # in order
            assert len(drawn) - taken <= 4, (taken, drawn)


def test_an_error_in_a_task_reaches_the_caller_and_stops_the_stream():
    drawn = []

    def tasks():
        for i in range(100):
            drawn.append(i)
            yield i

    def fn(i):
        if i == 3:
            raise ZeroDivisionError(f"task {i}")
        return i

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = run_ordered(fn, tasks(), workers=2, executor=pool)
        assert [next(results) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(ZeroDivisionError, match="task 3"):
            next(results)
    assert len(drawn) <= 3 + 4 + 1  # those taken, those in flight and the one that failed


def test_one_worker_runs_in_this_process():
    assert list(run_ordered(lambda i: -i, iter(range(5)))) == [0, -1, -2, -3, -4]


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2", True, None])
def test_workers_must_be_a_whole_number_of_at_least_one(workers):
    with pytest.raises(ValueError, match=f"workers must be a whole number >= 1; got {workers!r}"):
        check_workers(workers)
    assert check_workers(3) == 3


def test_workers_fork_only_where_it_is_safe():
    """A fork copies only the calling thread: never beside another thread or a framework
    runtime (this test process holds PyTorch and pytest's threads), else a fresh interpreter."""
    assert start_method() == "spawn"
    code = (
        "import threading, sys; from unetcheck.metrics.streaming import start_method; print(start_method()); "
        "threading.Thread(target=threading.Event().wait, args=(5,), daemon=True).start(); print(start_method()); "
        "import torch; print(start_method())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    expected = ["fork", "spawn", "spawn"] if sys.platform == "linux" else ["spawn"] * 3
    assert out.split() == expected
