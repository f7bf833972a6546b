"""The signed-in public header at a laptop's width keeps the account block on one line, and the
first-steps panel of the team dashboard numbers its steps once (the text carries « 1. » or ✓, the
list draws no marker of its own)."""

from __future__ import annotations

import pytest

from tests.conftest import HOST_A

from .test_tables import _context

pytestmark = pytest.mark.browser


def test_the_signed_in_header_keeps_the_account_block_on_one_line_at_1366(browser, live_server, world):
    base = f"http://{HOST_A}:{live_server.url.rsplit(':', 1)[1]}"
    context = _context(browser, live_server, world.alice, 1366)
    page = context.new_page()
    page.goto(base + "/")
    account = page.locator(".site-header .header-account")
    tops = account.evaluate("el => [...el.children].map(c => Math.round(c.getBoundingClientRect().top))")
    assert len(tops) == 2 and len(set(tops)) == 1, tops
    button = account.locator("button")
    assert button.evaluate("b => b.getClientRects().length") == 1  # the label does not wrap
    assert "alice@test.fr" in button.evaluate("b => b.textContent")  # still said to screen readers
    context.close()


def test_the_first_steps_on_the_team_dashboard_are_numbered_once(browser, live_server, world):
    base = f"http://{HOST_A}:{live_server.url.rsplit(':', 1)[1]}"
    context = _context(browser, live_server, world.alice, 1366)
    page = context.new_page()
    page.goto(base + "/equipe/tableau-de-bord/")
    steps = page.locator("#panel-premiers-pas ~ ol li")
    assert steps.count() > 1
    assert steps.first.inner_text().startswith("1. ")
    assert steps.first.evaluate("li => getComputedStyle(li).listStyleType") == "none"
    context.close()
