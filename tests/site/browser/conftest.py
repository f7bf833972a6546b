"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

The CPTS of the session ``world`` are committed and shared by the whole test session, so these
tests must not use ``transactional_db`` (its flush at teardown would empty the public schema, the
CPTS list and the accounts included). pytest-django requests it for every test using
``live_server``; the override below keeps the settings handling and drops the flush. Tests write
committed rows themselves (``django_db_blocker.unblock()``) and remove them afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture(autouse=True)
def _live_server_helper(request):
    if "live_server" not in request.fixturenames:
        yield
        return
    live_server = request.getfixturevalue("live_server")
    blocker = request.getfixturevalue("django_db_blocker")
    live_server._live_server_modified_settings.enable()
    # The server thread reads the committed world in autocommit, as a real server would.
    with blocker.unblock():
        yield
        connections.close_all()
    live_server._live_server_modified_settings.disable()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` (CI does)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -r requirements.lock)")
    # Playwright's sync API keeps an event loop in this thread; Django's ORM calls made by the test
    # itself (not by the server thread) are still plain synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
        # While Playwright's sync API lives, asyncio sees a running loop in this thread, so Django
        # keeps this thread's DB connections in context-local storage, apart from its thread-local
        # ones: close them before the loop stops, or they outlive the test database (teardown
        # warning "database test_cpts is being accessed by other users").
        connections.close_all()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def site_url(live_server, world):
    """site_url(host_prefix, path) → URL of the live server on a CPTS host (alpha, beta)."""
    port = live_server.url.rsplit(":", 1)[1]

    def build(slug: str, path: str = "/") -> str:
        return f"http://{slug}.localhost:{port}{path}"

    return build


def run_axe(page) -> list[dict]:
    """Serious and critical WCAG 2.x A/AA violations on the current page."""
    # Evaluated through the DevTools protocol: an injected <script> would be refused by the
    # page's Content-Security-Policy (no inline script), which is what production serves.
    page.evaluate(AXE_JS.read_text())
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["html"][:200] for node in violation["nodes"][:5]],
        }
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
