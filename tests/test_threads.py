"""tests/harness/threads.py: the environment that keeps each framework to one thread."""

from tests.harness.threads import ONE_THREAD, XLA_ONE_THREAD, one_thread, one_thread_settings


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
