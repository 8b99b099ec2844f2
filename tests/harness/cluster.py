"""Test harness: a TensorFlow cluster of worker processes on loopback ports.

Ports are chosen free but can be taken by another process before a worker binds them: the
cluster is then started again on new ports. A worker that hangs is killed, with the rest.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.paths import ROOT
from tools.runner import one_thread

#: How long a worker may take; a hung one is killed, with its partner, after this.
WORKER_TIMEOUT_S = 300
#: What a worker prints when its port was taken between our choosing and its binding it.
PORT_TAKEN = ("Address already in use", "Could not start gRPC server")


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports: all bound at once (so never the same twice), then freed."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _start_and_wait(args: list[str], per_worker, ports: list[int]) -> list[tuple[int, str]]:
    """Starts one worker per port and waits for all; kills every worker still running when one
    exceeds WORKER_TIMEOUT_S or when the test is interrupted."""
    workers = [f"127.0.0.1:{port}" for port in ports]
    procs = []
    try:
        for index in range(len(ports)):
            tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
            env = {**one_thread(os.environ), "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": json.dumps(tf_config)}
            procs.append(
                subprocess.Popen(
                    [sys.executable, *args, *per_worker(index)],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        deadline = time.monotonic() + WORKER_TIMEOUT_S
        results = []
        for proc in procs:
            try:
                output = proc.communicate(timeout=max(deadline - time.monotonic(), 1))[0]
            except subprocess.TimeoutExpired:
                pytest.fail(f"a worker ran past {WORKER_TIMEOUT_S} s; both were killed")
            results.append((proc.returncode, output))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def run_workers(args: list[str], per_worker=lambda index: [], attempts: int = 3) -> list[str]:
    """Runs `python ARGS` as 2 workers of one cluster on loopback ports; returns their outputs.

    A port can be taken by another process between `free_ports` and the worker's bind; then
    the cluster is started again on new ports, up to `attempts` times.
    """
    for _ in range(attempts):
        results = _start_and_wait(args, per_worker, free_ports(2))
        if not any(code != 0 and any(m in out for m in PORT_TAKEN) for code, out in results):
            break
    for code, output in results:
        assert code == 0, output[-3000:]
    return [output for _, output in results]
