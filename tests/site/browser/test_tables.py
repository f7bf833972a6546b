"""Tables on a phone: at 600 px and less, every table with column headers (back-office and member
pages alike) reads as one labelled card per row — each cell carries its column's name — instead of
scrolling sideways; at a laptop's width it stays a table. One mechanism for every page
(static/js/ui.js labels the cells, site.css stacks them), keyboard reachable and axe clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events import services
from apps.events.models import Event
from tests.conftest import HOST_A, signed_in_client

from .conftest import run_axe

pytestmark = pytest.mark.browser

LABELS = r"""table => {
  const visible = th => { const c = th.cloneNode(true);
    c.querySelectorAll('.visually-hidden').forEach(e => e.remove());
    return c.textContent.replace(/\s+/g, ' ').trim(); };
  const heads = Array.from(table.tHead.rows[0].cells).map(visible);
  return Array.from(table.tBodies[0].rows).map(row => Array.from(row.cells).map(
    (cell, i) => [cell.getAttribute('data-label'), heads[i], getComputedStyle(cell).display]));
}"""


@pytest.fixture
def event_with_a_guest(world, django_db_blocker):
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            start = timezone.now() + timedelta(days=9)
            event = Event.objects.create(
                title="Atelier tables", starts_at=start, ends_at=start + timedelta(hours=2),
                visibility=Event.Visibility.PUBLIC, capacity=10,
            )  # fmt: skip
            services.register(actor=world.bob, event=event)
            services.register_guest(
                event=event, first_name="Inès", last_name="Marchand", email="ines@exemple.fr"
            )
        connection.set_schema_to_public()
    yield event
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            event.registrations.all().delete()
            event.delete()
        connection.set_schema_to_public()


def _context(browser, live_server, user, width):
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    client = signed_in_client(user, HOST_A)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "domain": HOST_A, "path": "/"}]
    )  # fmt: skip
    return context


def test_on_a_phone_tables_stack_as_labelled_rows_and_stay_tables_on_a_laptop(
    browser, live_server, world, event_with_a_guest
):
    base = f"http://{HOST_A}:{live_server.url.rsplit(':', 1)[1]}"
    pages = ["/equipe/adherents/", f"/evenements/{event_with_a_guest.pk}/inscrits/"]
    context = _context(browser, live_server, world.alice, 390)
    page = context.new_page()
    for path in pages:
        page.goto(base + path)
        table = page.locator("main table").first
        page.wait_for_selector("main table[data-stacked]")  # labelled by ui.js
        rows = table.evaluate(LABELS)
        assert rows, path
        for row in rows:
            for label, head, display in row:
                assert label == head, (path, label, head)
                assert display == "block", (path, display)
        assert table.evaluate("t => t.scrollWidth <= t.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        assert table.get_attribute("tabindex") is None  # nothing to scroll: no extra tab stop
        # The first link of the table is reached with the keyboard.
        link = table.locator("a, button").first
        link.focus()
        assert link.evaluate("el => el === document.activeElement")
        assert run_axe(page) == [], path
    # The guest's row reads « Inscrit : Inès Marchand Invité » and « E-mail : ines@exemple.fr ».
    cells = page.locator("main table tbody tr", has_text="Inès Marchand").locator("td")
    assert cells.nth(1).get_attribute("data-label") == "E-mail"
    page.screenshot(path=str(settings.BASE_DIR / ".data" / "screenshots" / "tables-390.png"), full_page=True)
    context.close()

    context = _context(browser, live_server, world.alice, 1366)
    page = context.new_page()
    for path in pages:
        page.goto(base + path)
        page.wait_for_selector("main table[data-stacked]")
        displays = {
            display for row in page.locator("main table").first.evaluate(LABELS) for *_, display in row
        }
        assert displays == {"table-cell"}, path
    context.close()
