"""Automatic renewal: card saved with a SetupIntent, notice before the debit, off-session charge
on 1 January once, failures e-mailed. Against localstripe; tasks eager."""

from __future__ import annotations

import re

import requests
from django.conf import settings
from django.core import mail
from django_tenants.utils import schema_context

from apps.dues.models import Dues, Tier
from apps.members.models import Membership
from apps.payments.models import Payment, Receipt, ReceiptCounter
from apps.stripe_gateway.models import StripeRoute
from tests.conftest import HOST_A
from tests.dues.conftest import connect
from workers.dues import run_renewals_task


def _paid_2026(community, user):
    with schema_context(community.schema_name):
        tier = Tier.objects.get(name="Adhésion classique")
        Dues.objects.create(
            membership=Membership.objects.get(user=user),
            year=2026,
            tier=tier,
            amount=tier.price,
            status="active",
        )


def _save_card(client, number):
    page = client.get("/mon-espace/renouvellement/carte/")
    assert page.status_code == 200, page.content
    secret = re.search(r'data-client-secret="([^"]+)"', page.text).group(1)
    setup_id = secret.split("_secret_")[0]
    # What Stripe.js's confirmCardSetup does in the browser (localstripe's stand-in, same calls).
    confirmed = requests.post(
        f"{settings.STRIPE_API_BASE}/v1/setup_intents/{setup_id}/confirm",
        json={
            "key": settings.STRIPE_PUBLISHABLE_KEY,
            "use_stripe_sdk": True,
            "client_secret": secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
            },
        },
        timeout=5,
    ).json()
    assert confirmed["status"] == "succeeded", confirmed
    return client.post("/mon-espace/renouvellement/carte/", {"setup_intent": setup_id})


def test_a_member_saves_a_card_gets_a_notice_then_is_charged_once_on_1_january(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    connect(community_a, alice)
    _paid_2026(community_a, bob)
    saved = _save_card(client_as(bob, HOST_A), "4242424242424242")
    assert saved.status_code == 200 and saved.json() == {"ok": True, "redirect": "/mon-espace/"}
    with schema_context(community_a.schema_name):
        membership = Membership.objects.get(user=bob)
    assert membership.auto_renew and membership.stripe_payment_method_id.startswith("pm_")
    assert membership.auto_renew_consent_at is not None

    run_renewals_task.apply(args=(community_a.schema_name, "2026-12-02")).get()
    assert len(mail.outbox) == 1
    assert "sera débitée de la cotisation 2027 (5,00 €) le 1er janvier 2027" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        first = run_renewals_task.apply(args=(community_a.schema_name, "2027-01-01")).get()
    with django_capture_on_commit_callbacks(execute=True):
        second = run_renewals_task.apply(args=(community_a.schema_name, "2027-01-01")).get()
    assert first == {"lapsed": 1, "campaigns": 2} and second == {"lapsed": 0, "campaigns": 0}
    with schema_context(community_a.schema_name):
        dues = Dues.objects.get(membership=membership, year=2027)
        payments = list(Payment.objects.filter(dues=dues))
        receipts = Receipt.objects.filter(payment__dues=dues).count()
    assert dues.status == "active" and str(dues.amount) == "5.00"
    assert [(p.status, p.off_session) for p in payments] == [("succeeded", True)]
    assert receipts == 1
    # No "renew now" reminder on 1 January for a member renewed automatically: only the receipt.
    subjects = [m.subject for m in mail.outbox[1:]]
    assert len(subjects) == 1 and subjects[0].startswith("Reçu de cotisation n° ")


def test_a_refused_automatic_renewal_is_recorded_and_the_member_told(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    connect(community_a, alice)
    _paid_2026(community_a, bob)
    assert _save_card(client_as(bob, HOST_A), "4000000000000341").json()["ok"] is True
    with django_capture_on_commit_callbacks(execute=True):
        run_renewals_task.apply(args=(community_a.schema_name, "2027-01-01")).get()
        run_renewals_task.apply(args=(community_a.schema_name, "2027-01-02")).get()
    with schema_context(community_a.schema_name):
        dues = Dues.objects.get(membership__user=bob, year=2027)
        payments = list(Payment.objects.filter(dues=dues).values_list("status", "failure_reason"))
    assert dues.status == "pending" and payments == [("failed", "card_declined")]
    assert [m.subject for m in mail.outbox] == ["Votre renouvellement 2027 à la CPTS Alpha n'a pas abouti"]
    assert "http://alpha.localhost/adhesion/" in mail.outbox[0].body


def test_turning_automatic_renewal_off_forgets_the_card(community_a, alice, bob, client_as):
    connect(community_a, alice)
    client = client_as(bob, HOST_A)
    _save_card(client, "4242424242424242")
    assert client.post("/mon-espace/renouvellement/", {"enabled": "0"}).status_code == 302
    with schema_context(community_a.schema_name):
        membership = Membership.objects.get(user=bob)
    assert (membership.auto_renew, membership.stripe_payment_method_id) == (False, "")


def test_a_forged_setup_intent_is_refused(community_a, alice, bob, charlie, client_as):
    connect(community_a, alice)
    response = client_as(bob, HOST_A).post(
        "/mon-espace/renouvellement/carte/", {"setup_intent": "seti_forged"}
    )
    assert response.status_code == 400 and response.json()["ok"] is False
    assert client_as(charlie, HOST_A).get("/mon-espace/renouvellement/carte/").status_code == 404
    with schema_context(community_a.schema_name):
        assert Membership.objects.get(user=bob).auto_renew is False


def test_renewals_stripe_could_not_be_reached_for_are_charged_the_next_day_once(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks, monkeypatch
):
    import stripe

    connect(community_a, alice)
    _paid_2026(community_a, bob)
    assert _save_card(client_as(bob, HOST_A), "4242424242424242").json()["ok"] is True
    # 1 January: Stripe unreachable (nothing listens on port 9), the charge cannot be made.
    with monkeypatch.context() as outage:
        outage.setattr(stripe, "api_base", "http://127.0.0.1:9")
        with django_capture_on_commit_callbacks(execute=True):
            run_renewals_task.apply(args=(community_a.schema_name, "2027-01-01")).get()
    with schema_context(community_a.schema_name):
        waiting = list(Payment.objects.filter(dues__membership__user=bob, dues__year=2027))
    assert [(p.status, p.stripe_payment_intent_id) for p in waiting] == [("pending", None)]
    assert mail.outbox == []  # not a refusal: nobody is told their card failed
    # 2 January: Stripe answers again; the daily run charges the same payment, once.
    with django_capture_on_commit_callbacks(execute=True):
        run_renewals_task.apply(args=(community_a.schema_name, "2027-01-02")).get()
        run_renewals_task.apply(args=(community_a.schema_name, "2027-01-03")).get()
    with schema_context(community_a.schema_name):
        dues = Dues.objects.get(membership__user=bob, year=2027)
        payments = list(Payment.objects.filter(dues=dues))
        receipts = Receipt.objects.filter(payment__dues=dues).count()
    assert dues.status == "active"
    assert [(p.pk, p.status, p.off_session) for p in payments] == [(waiting[0].pk, "succeeded", True)]
    assert payments[0].stripe_payment_intent_id.startswith("pi_") and receipts == 1


def _unreached_on_1_january(community, monkeypatch, django_capture_on_commit_callbacks):
    """Run the 1 January renewals with Stripe out of reach: bob's charge is left pending."""
    import stripe

    with monkeypatch.context() as outage:
        outage.setattr(stripe, "api_base", "http://127.0.0.1:9")
        with django_capture_on_commit_callbacks(execute=True):
            run_renewals_task.apply(args=(community.schema_name, "2027-01-01")).get()


def test_a_member_who_turns_automatic_renewal_off_is_not_charged_by_the_retry(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks, monkeypatch
):
    from apps.dues import autorenew

    connect(community_a, alice)
    _paid_2026(community_a, bob)
    member = client_as(bob, HOST_A)
    assert _save_card(member, "4242424242424242").json()["ok"] is True
    _unreached_on_1_january(community_a, monkeypatch, django_capture_on_commit_callbacks)
    with schema_context(community_a.schema_name):
        stale = list(autorenew.unreached(2027))  # the retry's list, read before the member's "no"
    assert [m.user_id for m in stale] == [bob.pk]
    assert member.post("/mon-espace/renouvellement/", {"enabled": "0"}).status_code in (200, 302)
    with schema_context(community_a.schema_name):
        assert autorenew.charge(stale[0], 2027) == "skipped"
        assert not autorenew.unreached(2027).exists()
        payments = list(
            Payment.objects.filter(dues__membership__user=bob, dues__year=2027).values_list(
                "status", "failure_reason"
            )
        )
    assert payments == [("cancelled", "renouvellement automatique désactivé")]


def test_past_stripe_s_idempotency_window_the_retry_gives_up_and_tells_the_member(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from workers.dues import retry_auto_renewals_task

    connect(community_a, alice)
    _paid_2026(community_a, bob)
    assert _save_card(client_as(bob, HOST_A), "4242424242424242").json()["ok"] is True
    _unreached_on_1_january(community_a, monkeypatch, django_capture_on_commit_callbacks)
    with schema_context(community_a.schema_name):
        Payment.objects.filter(dues__year=2027).update(created_at=timezone.now() - timedelta(hours=25))
    result = retry_auto_renewals_task.apply(args=(community_a.schema_name, 2027)).get()
    assert result == {"failed": 1}
    with schema_context(community_a.schema_name):
        payments = list(
            Payment.objects.filter(dues__year=2027).values_list("status", "stripe_payment_intent_id")
        )
    assert payments == [("failed", None)]  # never a new PaymentIntent with a key Stripe may have forgotten
    assert [m.subject for m in mail.outbox] == ["Votre renouvellement 2027 à la CPTS Alpha n'a pas abouti"]


def test_paying_online_never_takes_over_the_automatic_renewal_s_attempt(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks, monkeypatch
):
    from apps.payments import card as payments

    connect(community_a, alice)
    _paid_2026(community_a, bob)
    assert _save_card(client_as(bob, HOST_A), "4242424242424242").json()["ok"] is True
    _unreached_on_1_january(community_a, monkeypatch, django_capture_on_commit_callbacks)
    with schema_context(community_a.schema_name):
        automatic = Payment.objects.get(dues__year=2027, off_session=True)
        online = payments.start_card_payment(actor=bob, dues=automatic.dues)
        automatic.refresh_from_db()
    assert online.pk != automatic.pk and not online.off_session
    assert automatic.stripe_payment_intent_id is None


def test_a_free_tier_renews_automatically_without_any_stripe_call_nor_receipt(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    """A free tier (0 €) has nothing to charge: the automatic renewal settles it like a free join
    does (dues active at once, no payment, no receipt number used), and Stripe is never asked for
    a 0 € PaymentIntent (Stripe refuses one; the member would be told the renewal failed)."""
    connect(community_a, alice)
    with schema_context(community_a.schema_name):
        free = Tier.objects.create(name="Adhésion d'honneur", price=0)
        Dues.objects.create(
            membership=Membership.objects.get(user=bob), year=2026, tier=free, amount=0, status="active"
        )
    assert _save_card(client_as(bob, HOST_A), "4242424242424242").json()["ok"] is True
    with schema_context(community_a.schema_name):
        routes_before = StripeRoute.objects.count()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run_renewals_task.apply(args=(community_a.schema_name, "2027-01-01")).get()
        run_renewals_task.apply(args=(community_a.schema_name, "2027-01-02")).get()
    with schema_context(community_a.schema_name):
        dues = Dues.objects.get(membership__user=bob, year=2027)
        payments = Payment.objects.filter(dues=dues).count()
        counters = ReceiptCounter.objects.filter(year=2027).count()
        routes_after = StripeRoute.objects.count()
    assert (dues.status, dues.amount, dues.tier_id) == ("active", 0, free.pk)
    assert dues.activated_at is not None
    assert payments == 0 and counters == 0
    assert routes_after == routes_before  # no PaymentIntent was created on Stripe
    assert not [m.subject for m in mail.outbox if "n'a pas abouti" in m.subject]
