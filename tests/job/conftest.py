"""The report pages' browser, shared by this folder's tests."""

from __future__ import annotations

import pytest

from tests.harness import browser


@pytest.fixture(scope="session")
def chromium_browser():
    """Headless Chromium (installed with apt-get where missing and the suite runs as root);
    skipped, with the reason, only where no browser can be had."""
    executable, why = browser.chromium()
    if executable is None:
        pytest.skip(why)
    with browser.browser(executable) as launched:
        yield launched
