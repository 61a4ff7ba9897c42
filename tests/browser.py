"""Debian's headless Chromium for the tests that look at pages: where it is, and a run of it
with a new, empty profile. Under CI (CI=true) a missing browser fails those tests, never skips them."""
import contextlib
import os
import shutil
import subprocess

import pytest

BROWSER = shutil.which("chromium")


def needs_browser():
    """A module's pytestmark: skip where there is no chromium, except under CI, where that fails."""
    if BROWSER is None and os.environ.get("CI") == "true":
        pytest.fail("CI: the browser test needs Debian's chromium (.ci/run installs it)", pytrace=False)
    return pytest.mark.skipif(BROWSER is None, reason="no chromium (apt-get install -y chromium)")


FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    """Headless Chromium with a new, empty profile and nothing fetched but the page."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"  # a new, empty one each time
    return subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120)


@contextlib.contextmanager
def playwright_chromium():
    """Debian's chromium driven by Playwright (no browser download); skips (fails under CI) without either."""
    needs_browser()
    if BROWSER is None:
        pytest.skip("no chromium")
    try:
        from playwright.sync_api import sync_playwright  # only the browser tests need it
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: the browser test needs playwright (pip install -r requirements.txt)", pytrace=False)
        pytest.skip("no playwright (pip install -r requirements.txt)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
