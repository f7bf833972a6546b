"""A paid event in a real browser: the dues card form (Stripe.js stand-in of localstripe) on the
event's payment page, the webhook signed by localstripe confirming the seat. Skipped without
Chromium (see tests/dues/browser/conftest.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events.models import Event, Registration
from tests.conftest import HOST_A, signed_in_client, wait_until
from tests.dues import conftest as dues_helpers
from tests.dues.browser import conftest as browser
from tests.dues.browser.test_card_form import _fill_card
from tests.events.test_paid_end_to_end import TITLE, _cleanup

connect = dues_helpers.connect
# Fixtures of tests/dues (not in this directory's scope).
in_browser = browser.in_browser
webhook_server = dues_helpers.webhook_server


def test_a_member_registers_and_pays_a_paid_event_in_the_browser(
    world, webhook_server, in_browser, django_db_blocker
):
    base = webhook_server.replace("://localhost", "://alpha.localhost")
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)
            start = timezone.now() + timedelta(days=12)
            with schema_context(world.a.schema_name):
                event = Event.objects.create(
                    title=TITLE,
                    starts_at=start,
                    ends_at=start + timedelta(hours=2),
                    capacity=10,
                    price=Decimal("18.50"),
                )
            session = signed_in_client(world.bob, HOST_A).cookies[settings.SESSION_COOKIE_NAME].value

            def steps(page):
                page.context.add_cookies(
                    [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
                )
                page.goto(f"{base}/evenements/{event.pk}/")
                assert "18,50 € TTC" in page.inner_text("main")
                page.click("text=Je m'inscris et je paie 18,50 €")
                page.wait_for_url(re.compile(rf".*/evenements/{event.pk}/paiement/$"))
                assert "Une place vous est réservée jusqu'au" in page.inner_text("main")
                _fill_card(page, "4000000000000341")
                page.click("#card-submit")
                page.wait_for_selector("text=Votre carte a été refusée", timeout=15_000)
                _fill_card(page, "4242424242424242")
                page.click("#card-submit")
                page.wait_for_url(re.compile(r".*/evenements/paiement/\d+/$"))
                page.wait_for_selector("text=Paiement confirmé", timeout=30_000)

            in_browser(steps)

            def confirmed():
                with schema_context(world.a.schema_name):
                    return Registration.objects.filter(event=event, status="confirmed").first()

            registration = wait_until(confirmed, timeout=10)
        finally:
            _cleanup(world)
    assert registration.user_id == world.bob.pk
