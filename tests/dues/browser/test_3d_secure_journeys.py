"""3-D Secure journeys in Chromium with localstripe's Stripe.js stand-in: a failed authentication,
and a prompt left unanswered (page closed) followed by a new payment with another card."""

from __future__ import annotations

import re

import stripe
from django_tenants.utils import schema_context

from apps.payments.models import Payment
from apps.stripe_gateway import client as stripe_client
from tests.conftest import wait_until
from tests.dues.browser.test_card_form import _cleanup, _fill_card, _join_in_browser, _paid
from tests.dues.conftest import connect

THREE_DS = "4000002500003155"
VISA = "4242424242424242"


def _intent_statuses(world, email):
    with schema_context(world.a.schema_name):
        payments = list(Payment.objects.filter(dues__membership__user__email=email).order_by("pk"))
    return [
        (
            p.status,
            stripe.PaymentIntent.retrieve(
                p.stripe_payment_intent_id, **stripe_client.options(p.stripe_account_id)
            )["status"],
        )
        for p in payments
    ]


def test_a_failed_3d_secure_says_so_and_the_retry_pays(world, webhook_server, in_browser, django_db_blocker):
    email = "gwen.3ds-failed@test.fr"
    base = webhook_server.replace("://localhost", "://alpha.localhost")
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)

            def steps(page):
                _join_in_browser(page, base, email)
                _fill_card(page, THREE_DS)
                page.click("#card-submit")
                page.click("text=Fail authentication")
                page.wait_for_url(re.compile(r".*/cotisation/paiement/\d+/$"))
                page.wait_for_selector("text=L’authentification 3-D Secure a échoué", timeout=15_000)
                assert "en cours de confirmation" not in page.inner_text("main")
                page.click("text=Réessayer le paiement")
                page.wait_for_url(re.compile(r".*/cotisation/\d+/paiement/$"))
                _fill_card(page, VISA)
                page.click("#card-submit")
                page.wait_for_selector("text=Paiement confirmé", timeout=30_000)

            in_browser(steps)
            dues = wait_until(lambda: _paid(world, email), timeout=10)
            statuses = _intent_statuses(world, email)
        finally:
            _cleanup(world, email)
    assert dues.status == "active"
    assert statuses == [("failed", "canceled"), ("succeeded", "succeeded")]


def test_an_abandoned_3d_secure_prompt_does_not_block_the_next_payment(
    world, webhook_server, in_browser, django_db_blocker
):
    email = "gwen.3ds-abandoned@test.fr"
    base = webhook_server.replace("://localhost", "://alpha.localhost")
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)

            def steps(page):
                _join_in_browser(page, base, email)
                pay_url = page.url
                _fill_card(page, THREE_DS)
                page.click("#card-submit")
                page.wait_for_selector("text=Complete authentication")
                # The bank prompt is left unanswered; the page is closed.
                page.goto(f"{base}/mon-espace/")
                page.goto(pay_url)
                _fill_card(page, VISA)
                page.click("#card-submit")
                page.wait_for_selector("text=Paiement confirmé", timeout=30_000)

            in_browser(steps)
            dues = wait_until(lambda: _paid(world, email), timeout=10)
            statuses = _intent_statuses(world, email)
        finally:
            _cleanup(world, email)
    assert dues.status == "active"
    assert statuses == [("cancelled", "canceled"), ("succeeded", "succeeded")]
