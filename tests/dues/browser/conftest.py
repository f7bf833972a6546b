"""Browser runner for the card-form tests: Playwright driving Debian's Chromium.

Playwright's sync API cannot start twice in one thread, and the site's browser tests keep their
session-wide instance open in the main thread; so these tests run their browser steps in a thread
of their own (``in_browser(fn)`` calls ``fn(page)`` there). Database checks stay in the test.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def in_browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` (CI does)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -r requirements.lock)")

    def run(fn):
        outcome: dict = {}

        def target() -> None:
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM,
                        args=[
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                        ],
                    )
                    try:
                        page = browser.new_context(
                            locale="fr-FR", viewport={"width": 1280, "height": 900}
                        ).new_page()
                        page.set_default_timeout(15_000)
                        outcome["value"] = fn(page)
                    finally:
                        browser.close()
            except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
                outcome["error"] = error

        thread = threading.Thread(target=target, name="browser")
        thread.start()
        thread.join(180)
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    return run
