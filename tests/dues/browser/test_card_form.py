"""The card form in a real browser, with localstripe's Stripe.js stand-in (no CDN, no network).

Chromium drives our HTTP server (tests/dues/conftest.py: webhook_server); localstripe signs and
posts the webhook back to it; tasks run in-process (eager) there. Skipped without Chromium.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context

from apps.dues.models import Dues
from apps.members.models import Membership
from apps.payments.models import Payment, Receipt, ReceiptCounter
from apps.professionals.models import AccountCommunity, ProfessionalProfile
from apps.stripe_gateway.models import ConnectedAccount, StripeRoute, WebhookEvent
from tenants.models import Community
from tests.conftest import PASSWORD, wait_until
from tests.dues.conftest import PROFILE, connect
from tests.factories.accounts import signup_link_path


def _cleanup(world, email):
    connection.set_schema_to_public()
    user = get_user_model().objects.filter(email=email).first()
    intents = []
    with schema_context(world.a.schema_name):
        if user is not None:
            payments = Payment.objects.filter(dues__membership__user=user)
            intents = [p for p in payments.values_list("stripe_payment_intent_id", flat=True) if p]
            Receipt.objects.filter(payment__in=payments).delete()
            payments.delete()
            Dues.objects.filter(membership__user=user).delete()
            Membership.objects.filter(user=user).delete()
        for counter in ReceiptCounter.objects.all():
            last = Receipt.objects.filter(kind=counter.kind, year=counter.year).order_by("-sequence").first()
            ReceiptCounter.objects.filter(pk=counter.pk).update(last=last.sequence if last else 0)
    StripeRoute.objects.filter(stripe_id__in=intents).delete()
    WebhookEvent.objects.filter(object_id__in=intents).delete()
    ConnectedAccount.objects.filter(community=world.a).delete()
    Community.objects.filter(pk=world.a.pk).update(stripe_account_id="")
    if user is not None:
        AccountCommunity.objects.filter(user=user).delete()
        ProfessionalProfile.objects.filter(user=user).delete()
        get_user_model().objects.filter(pk=user.pk)._raw_delete(using="default")


def _join_in_browser(page, base, email):
    page.goto(f"{base}/adhesion/compte/")
    page.fill("#id_email-email", email)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Nous avons écrit à")
    # The account step continues by e-mail: the server runs in this process (locmem backend).
    page.goto(f"{base}{signup_link_path(email)}")
    page.fill("#id_first_name", "Gwen")
    page.fill("#id_last_name", "Sage-femme")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/adhesion/")
    for name, value in PROFILE.items():
        selector = f"[name={name}]"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.check("input[name=join-eligibility_category][value=liberal]")
    page.locator("input[name=join-tier]").first.check()
    page.check("input[name=join-consent]")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    errors = [t for t in page.locator(".errorlist").all_inner_texts() if t.strip()]
    assert errors == [], errors
    page.wait_for_url(re.compile(r".*/cotisation/\d+/paiement/$"))


def _fill_card(page, number):
    page.wait_for_selector("#card-element input[placeholder=number]")
    page.fill("#card-element input[placeholder=number]", number)
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "34")
    page.fill("#card-element input[placeholder=cvc]", "123")
    page.fill("#card-element input[placeholder=postal_code]", "56100")


def _paid(world, email):
    with schema_context(world.a.schema_name):
        return Dues.objects.filter(membership__user__email=email, status="active").first()


def test_a_member_pays_by_card_in_the_browser_and_sees_the_confirmation(
    world, webhook_server, in_browser, django_db_blocker
):
    email = "gwen.browser@test.fr"
    base = webhook_server.replace("://localhost", "://alpha.localhost")
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)

            def steps(page):
                _join_in_browser(page, base, email)
                assert page.locator("script[src$='/js.stripe.com/v3/']").count() == 1
                _fill_card(page, "4242424242424242")
                page.click("#card-submit")
                page.wait_for_url(re.compile(r".*/cotisation/paiement/\d+/$"))
                page.wait_for_selector("text=Paiement confirmé", timeout=30_000)

            in_browser(steps)
            dues = wait_until(lambda: _paid(world, email), timeout=10)
        finally:
            _cleanup(world, email)
    assert dues.status == "active"


def test_3d_secure_in_the_browser_with_the_stand_in_modal(
    world, webhook_server, in_browser, django_db_blocker
):
    email = "gwen.3ds@test.fr"
    base = webhook_server.replace("://localhost", "://alpha.localhost")
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)

            def steps(page):
                _join_in_browser(page, base, email)
                _fill_card(page, "4000002500003155")
                page.click("#card-submit")
                page.click("text=Complete authentication")
                page.wait_for_selector("text=Paiement confirmé", timeout=30_000)

            in_browser(steps)
            dues = wait_until(lambda: _paid(world, email), timeout=10)
        finally:
            _cleanup(world, email)
    assert dues.status == "active"


def test_a_declined_card_shows_a_french_error_in_the_browser(
    world, webhook_server, in_browser, django_db_blocker
):
    email = "gwen.declined@test.fr"
    base = webhook_server.replace("://localhost", "://alpha.localhost")
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)

            def steps(page):
                _join_in_browser(page, base, email)
                _fill_card(page, "4000000000000341")
                page.click("#card-submit")
                page.wait_for_selector("text=Votre carte a été refusée", timeout=15_000)

            in_browser(steps)
            paid = _paid(world, email)
        finally:
            _cleanup(world, email)
    assert paid is None
