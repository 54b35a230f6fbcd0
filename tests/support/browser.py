"""The web app in a real browser: Debian's Chromium driven by Playwright, people signed in each in
a window of their own, and screenshots left in tests/artifacts/ for people to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.paths import ARTIFACTS
from tests.support.web_support import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, headless, through Playwright: one browser per test module."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; the setup must apt-get install chromium")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def person(chromium, gateway, name: str, viewport=DESKTOP, scripts: bool = True):
    """A browser window of its own (its own cookies), signed in as ``name``; ``scripts=False``: a
    panel browser with JavaScript switched off."""
    context = chromium.new_context(base_url=f"http://127.0.0.1:{gateway.http_port}", viewport=viewport,
                                   locale="ja-JP", java_script_enabled=scripts)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("#account", name)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/(jobs|confirmations|directory|audit)"))
    return page


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
