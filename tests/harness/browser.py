"""A real browser for the report pages: Debian's Chromium, driven headless by Playwright
(playwright-core's driver with `executable_path`: no browser download). Where Chromium is
missing and the suite runs as root (CI), it installs it with apt-get, once, under a lock that
pytest-xdist's workers share."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
#: Chromium headless on a machine with no network: no background connections, no first-run work.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _apt_install() -> str:
    for command in (
        ["apt-get", "install", "-y", "-q", "chromium"],
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "chromium"],
    ):
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        if command[1] == "install" and done.returncode == 0:
            return ""
    return done.stderr[-500:]


def chromium() -> tuple[str | None, str]:
    """(the browser's path, or None; why there is none)."""
    found = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if found:
        return found, ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "no chromium, and apt-get cannot install it here (not root, or no apt-get)"
    with open(Path(tempfile.gettempdir()) / "unetcheck-chromium.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker installs; the other waits and finds it
        found = shutil.which("chromium")
        why = "" if found else _apt_install()
    found = shutil.which("chromium")
    return found, "" if found else f"apt-get install chromium failed: {why}"


@contextlib.contextmanager
def browser(executable: str) -> Iterator[object]:
    """A headless Chromium browser (Playwright's `Browser`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(launched, path: Path, screenshot: Path) -> tuple[list[str], list[tuple[bool, int]], object]:
    """Opens `path` from file://: (what the console and uncaught errors said, each image's
    (complete, naturalWidth), the page); keeps a full-page screenshot at `screenshot`."""
    page = launched.new_page(viewport={"width": 1280, "height": 900})
    said: list[str] = []
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: said.append(f"error: {error}"))
    page.on("requestfailed", lambda request: said.append(f"request failed: {request.url}"))
    page.goto(path.resolve().as_uri(), wait_until="load")
    images = page.evaluate("Array.from(document.images).map(image => [image.complete, image.naturalWidth])")
    page.screenshot(path=str(screenshot), full_page=True)
    return said, [tuple(image) for image in images], page


def shown_figures(page) -> dict[str, str]:
    """Every figure the page marks with `data-key`, as its first line of text."""
    return page.evaluate(
        "Object.fromEntries(Array.from(document.querySelectorAll('[data-key]'))"
        ".map(cell => [cell.dataset.key, cell.innerText.split('\\n')[0].trim()]))"
    )
