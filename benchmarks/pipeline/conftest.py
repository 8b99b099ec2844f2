"""The sizes the pipeline benchmark runs at: the tutorial's (128 x 128, batch 64), or small ones
under UNETCHECK_BENCH=smoke. Each figure is stated with the machine's CPU (the summary)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SMOKE = os.environ.get("UNETCHECK_BENCH") == "smoke"
SIZE, BATCH = (32, 4) if SMOKE else (128, 64)


def pytest_terminal_summary(terminalreporter) -> None:
    from unetcheck.hardware import cpu_model

    terminalreporter.write_line(
        f"pipeline benchmark at {SIZE}x{SIZE}, batch {BATCH}, on {cpu_model()} ({os.cpu_count()} cores)"
    )
