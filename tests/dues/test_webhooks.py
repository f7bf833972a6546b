"""Card payments against localstripe, with webhook events posted to the platform host.

Tasks run eagerly here (the real-worker version is test_end_to_end.py). Events are signed with
the webhook secret like localstripe/Stripe do; the handler re-reads each PaymentIntent from
localstripe, so the event's own copy of the object never decides anything.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from apps.dues.models import Dues, Tier
from apps.payments.models import Payment, Receipt
from apps.stripe_gateway.connect import apply_account_update, our_read_time
from apps.stripe_gateway.models import ConnectedAccount, StripeRoute, WebhookEvent
from apps.stripe_gateway.webhooks import event_time
from tests.conftest import HOST_A, HOST_B, PLATFORM_HOST
from tests.dues.conftest import authenticate_3ds, card_token, connect, event, join_data, post_event, sign

VISA = "4242424242424242"
DECLINED = "4000000000000341"
THREE_DS = "4000002500003155"


def _start_payment(client_as, community, user, host):
    client = client_as(user, host)
    with schema_context(community.schema_name):
        tier = Tier.objects.get(name="Adhésion classique")
    response = client.post("/adhesion/", join_data(tier.pk))
    assert response.status_code == 302, response.content
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'id="card-payment"' in page.text
    with schema_context(community.schema_name):
        payment = Payment.objects.get(dues__membership__user=user, status="pending")
    assert payment.stripe_payment_intent_id.startswith("pi_")
    return client, payment


def _confirm(client, payment, card_number):
    response = client.post(
        f"/cotisation/paiement/{payment.pk}/confirmer/", {"payment_method": card_token(card_number)}
    )
    return response.json()


def _state(community, payment):
    with schema_context(community.schema_name):
        payment.refresh_from_db()
        dues = Dues.objects.get(pk=payment.dues_id)
        numbers = list(Receipt.objects.filter(payment=payment).values_list("number", flat=True))
    return payment.status, dues.status, numbers


def _succeeded(payment, event_id):
    return event(
        event_id,
        "payment_intent.succeeded",
        {"id": payment.stripe_payment_intent_id, "object": "payment_intent"},
    )


def test_the_pay_page_loads_stripe_js_from_localstripe_and_no_cdn(
    community_a, alice, bob, client_as, settings
):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    page = client.get(f"/cotisation/{payment.dues_id}/paiement/")
    assert f'<script src="{settings.STRIPE_API_BASE}/js.stripe.com/v3/"></script>' in page.text
    assert "https://js.stripe.com" not in page.text
    assert 'data-publishable-key="pk_test_localstripe"' in page.text
    # The open PaymentIntent is reused, not duplicated, when the page is reloaded.
    with schema_context(community_a.schema_name):
        assert Payment.objects.filter(dues_id=payment.dues_id).count() == 1
    assert StripeRoute.objects.get(stripe_id=payment.stripe_payment_intent_id).community_id == community_a.pk


def test_a_confirmed_card_payment_activates_the_dues_only_when_the_signed_webhook_arrives(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    result = _confirm(client, payment, VISA)
    assert result["status"] == "succeeded" and result["error"] == ""
    # The browser is back, the money is taken, but nothing is active before the webhook.
    assert _state(community_a, payment) == ("pending", "pending", [])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_ok_1"))
    assert response.status_code == 200
    status, dues_status, numbers = _state(community_a, payment)
    assert (status, dues_status, len(numbers)) == ("succeeded", "active", 1)
    record = WebhookEvent.objects.get(event_id="evt_ok_1")
    assert record.outcome == "routed" and record.community_id == community_a.pk


def test_a_duplicate_event_is_a_no_op(community_a, alice, bob, client_as, django_capture_on_commit_callbacks):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    _confirm(client, payment, VISA)
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    with django_capture_on_commit_callbacks(execute=True) as first:
        assert post_event(platform, _succeeded(payment, "evt_dup")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as second:
        assert post_event(platform, _succeeded(payment, "evt_dup")).status_code == 200
    handler_runs = [c for c in first if "handle_stripe_event" in repr(c)]
    assert len(handler_runs) == 1 and len(second) == 0
    assert WebhookEvent.objects.filter(event_id="evt_dup").count() == 1
    assert len(_state(community_a, payment)[2]) == 1


def test_a_forged_signature_gets_400_and_changes_nothing(community_a, alice, bob, client_as, settings):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    _confirm(client, payment, VISA)
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    forged = post_event(platform, _succeeded(payment, "evt_forged"), secret="whsec_not_the_right_one")
    assert forged.status_code == 400
    payload = json.dumps(_succeeded(payment, "evt_tampered")).encode()
    header = sign(json.dumps(_succeeded(payment, "evt_other")).encode())
    tampered = platform.post(
        "/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert tampered.status_code == 400
    stale = platform.post(
        "/stripe/webhook/", data=payload, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, timestamp=int(time.time()) - 3600),
    )  # fmt: skip
    assert stale.status_code == 400
    unsigned = platform.post("/stripe/webhook/", data=payload, content_type="application/json")
    assert unsigned.status_code == 400
    assert not WebhookEvent.objects.filter(event_id__in=["evt_forged", "evt_tampered", "evt_other"]).exists()
    assert _state(community_a, payment) == ("pending", "pending", [])


def test_the_webhook_is_not_served_on_a_cpts_host(community_a, alice, bob, client_as):
    response = post_event(
        Client(HTTP_HOST=HOST_A), event("evt_x", "payment_intent.succeeded", {"id": "pi_x"})
    )
    assert response.status_code == 404
    assert not WebhookEvent.objects.filter(event_id="evt_x").exists()


def test_out_of_order_events_never_undo_a_success(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    connect(community_a, alice)
    client, first_try = _start_payment(client_as, community_a, bob, HOST_A)
    declined = _confirm(client, first_try, DECLINED)
    assert declined["status"] == "declined"
    assert (
        declined["error"] == "Votre carte a été refusée. Essayez une autre carte ou contactez votre banque."
    )
    with schema_context(community_a.schema_name):
        second_try = Payment.objects.get(pk=declined["retry_payment"])
    assert (
        client.post(declined["confirm_url"], {"payment_method": card_token(VISA)}).json()["status"]
        == "succeeded"
    )
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(platform, _succeeded(second_try, "evt_success_new"))
        # Then the failure of the first attempt arrives, and a (replayed) failure for the second.
        post_event(
            platform,
            event(
                "evt_failed_1", "payment_intent.payment_failed", {"id": first_try.stripe_payment_intent_id}
            ),
        )
        post_event(
            platform,
            event(
                "evt_failed_2", "payment_intent.payment_failed", {"id": second_try.stripe_payment_intent_id}
            ),
        )
    status, dues_status, numbers = _state(community_a, second_try)
    assert (status, dues_status, len(numbers)) == ("succeeded", "active", 1)
    assert _state(community_a, first_try) == ("failed", "active", [])


def test_a_declined_card_marks_the_attempt_failed_and_keeps_the_dues_pending(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    assert _confirm(client, payment, DECLINED)["status"] == "declined"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(
            Client(HTTP_HOST=PLATFORM_HOST),
            event("evt_declined", "payment_intent.payment_failed", {"id": payment.stripe_payment_intent_id}),
        )
    assert _state(community_a, payment) == ("failed", "pending", [])
    assert payment.failure_reason == "card_declined"
    status_page = client.get(f"/cotisation/paiement/{payment.pk}/")
    assert "Le paiement a échoué" in status_page.text


def test_3d_secure_is_completed_in_the_browser_then_the_webhook_activates(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    result = _confirm(client, payment, THREE_DS)
    assert result["status"] == "requires_action" and result["client_secret"].startswith(
        payment.stripe_payment_intent_id
    )
    assert authenticate_3ds(result["client_secret"], success=True)["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_3ds"))
    assert _state(community_a, payment)[:2] == ("succeeded", "active")


def test_a_failed_3d_secure_leaves_the_dues_pending(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    from apps.payments.card import sync_payment

    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    result = _confirm(client, payment, THREE_DS)
    authenticate_3ds(result["client_secret"], success=False)
    with schema_context(community_a.schema_name):
        assert sync_payment(payment.pk) == "failed"
    status, dues_status, _numbers = _state(community_a, payment)
    assert (status, dues_status) == ("failed", "pending")
    assert payment.failure_reason == "payment_intent_authentication_failure"


def test_an_event_for_b_changes_nothing_in_a_while_a_has_a_pending_payment(
    community_a, community_b, alice, bob, charlie, client_as, django_capture_on_commit_callbacks
):
    account_a = connect(community_a, alice)
    account_b = connect(community_b, charlie)
    assert account_a != account_b
    client_a, pending_a = _start_payment(client_as, community_a, bob, HOST_A)
    client_b, payment_b = _start_payment(client_as, community_b, charlie, HOST_B)
    assert _confirm(client_b, payment_b, VISA)["status"] == "succeeded"
    # A's PaymentIntent is confirmed on Stripe too, but its event has not arrived yet.
    assert _confirm(client_a, pending_a, VISA)["status"] == "succeeded"
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    with django_capture_on_commit_callbacks(execute=True):
        # B's own event, on B's connected account: B is updated, A is not touched.
        post_event(
            platform,
            event(
                "evt_b_ok", "payment_intent.succeeded", {"id": payment_b.stripe_payment_intent_id}, account_b
            ),
        )
        # An event of B's account naming A's object: refused (mismatch), A stays pending.
        post_event(
            platform,
            event(
                "evt_b_on_a",
                "payment_intent.succeeded",
                {"id": pending_a.stripe_payment_intent_id},
                account_b,
            ),
        )
        # An object nobody created here: stored, routed nowhere.
        post_event(
            platform, event("evt_unknown", "payment_intent.succeeded", {"id": "pi_not_ours"}, account_b)
        )
    assert _state(community_b, payment_b)[:2] == ("succeeded", "active")
    assert _state(community_a, pending_a) == ("pending", "pending", [])
    outcomes = dict(
        WebhookEvent.objects.filter(event_id__startswith="evt_").values_list("event_id", "outcome")
    )
    assert outcomes["evt_b_ok"] == "routed" and outcomes["evt_b_on_a"] == "mismatch"
    assert outcomes["evt_unknown"] == "unrouted"


def test_reconciliation_activates_a_payment_whose_webhook_was_lost(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    from workers.payments import reconcile_payments_task

    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    _confirm(client, payment, VISA)
    with django_capture_on_commit_callbacks(execute=True):
        first = reconcile_payments_task.apply(args=(community_a.schema_name, 0)).get()
    with django_capture_on_commit_callbacks(execute=True):
        second = reconcile_payments_task.apply(args=(community_a.schema_name, 0)).get()
    assert first == {"succeeded": 1} and second == {}
    status, dues_status, numbers = _state(community_a, payment)
    assert (status, dues_status, len(numbers)) == ("succeeded", "active", 1)


def test_a_card_refund_goes_through_stripe_and_issues_a_credit_note(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    import stripe

    from apps.stripe_gateway import client as stripe_client

    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    _confirm(client, payment, VISA)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_before_refund"))
    with schema_context(community_a.schema_name):
        membership_id = payment.dues.membership_id
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(alice, HOST_A).post(
            f"/equipe/adherents/{membership_id}/", {"action": "refund", "payment": payment.pk}
        )
    assert response.status_code == 302
    intent = stripe.PaymentIntent.retrieve(
        payment.stripe_payment_intent_id, expand=["latest_charge"], **stripe_client.options()
    )
    assert intent.to_dict()["latest_charge"]["refunded"] is True
    status, dues_status, numbers = _state(community_a, payment)
    assert (status, dues_status) == ("refunded", "refunded")
    assert len(numbers) == 2 and any(n.startswith("AV-") for n in numbers)


def test_a_cpts_without_stripe_account_says_card_payment_is_not_available(community_a, bob, client_as):
    client = client_as(bob, HOST_A)
    with schema_context(community_a.schema_name):
        tier = Tier.objects.first()
    response = client.post("/adhesion/", join_data(tier.pk))
    page = client.get(response["Location"])
    assert "Le paiement par carte n'est pas encore disponible" in page.text
    assert "js.stripe.com" not in page.text
    with schema_context(community_a.schema_name):
        assert not Payment.objects.filter(dues__membership__user=bob).exists()


def test_an_account_updated_event_changes_the_connection_status_of_that_cpts_only(
    community_a, community_b, alice, charlie
):
    from apps.stripe_gateway.connect import card_payments_available

    account_a = connect(community_a, alice)
    connect(community_b, charlie)
    obj = {"id": account_a, "object": "account", "charges_enabled": False, "details_submitted": True}
    assert (
        post_event(
            Client(HTTP_HOST=PLATFORM_HOST), event("evt_acct", "account.updated", obj, account_a)
        ).status_code
        == 200
    )
    community_a.refresh_from_db()
    community_b.refresh_from_db()
    assert card_payments_available(community_a) is False
    assert card_payments_available(community_b) is True
    assert WebhookEvent.objects.get(event_id="evt_acct").community_id == community_a.pk


def test_reloading_the_pay_page_after_paying_shows_the_status_and_never_charges_twice(
    community_a, alice, bob, client_as
):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    assert _confirm(client, payment, VISA)["status"] == "succeeded"
    # The webhook has not arrived yet; the member reloads the payment page.
    response = client.get(f"/cotisation/{payment.dues_id}/paiement/")
    assert response.status_code == 302 and response["Location"] == f"/cotisation/paiement/{payment.pk}/"
    with schema_context(community_a.schema_name):
        assert Payment.objects.filter(dues_id=payment.dues_id).count() == 1


def test_a_payment_for_an_abandoned_amount_never_activates_the_dues(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    """Bob opens the 5 € payment, then his dues become the 17 € tier while that attempt is still
    open on Stripe (the join page closes it on Stripe when he switches, tests/dues/test_tier_change.py;
    this is the safeguard behind that). His browser still holds the first PaymentIntent's client
    secret, with which Stripe.js can confirm it directly: that 5 € must not make the 17 € dues
    active."""
    import stripe

    from apps.stripe_gateway import client as stripe_client

    connect(community_a, alice)
    client, cheap = _start_payment(client_as, community_a, bob, HOST_A)
    with schema_context(community_a.schema_name):
        partner = Tier.objects.get(name="Adhésion partenaire")
        Dues.objects.filter(pk=cheap.dues_id).update(tier=partner, amount=partner.price)
    options = stripe_client.options()
    stripe.PaymentIntent.modify(cheap.stripe_payment_intent_id, payment_method=card_token(VISA), **options)
    assert stripe.PaymentIntent.confirm(cheap.stripe_payment_intent_id, **options).status == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(cheap, "evt_abandoned_amount"))
    status, dues_status, _numbers = _state(community_a, cheap)
    with schema_context(community_a.schema_name):
        dues = Dues.objects.get(pk=cheap.dues_id)
    assert (dues.amount, cheap.amount) == (partner.price, 5)
    assert (dues_status, status) == ("pending", "succeeded")
    status_page = client.get(f"/cotisation/paiement/{cheap.pk}/").text
    assert "Le montant payé (5,00 €) ne correspond pas à votre cotisation" in status_page
    # The team sees why, and refunds it from the back-office: the dues (never paid) still wait
    # for their payment.
    team = client_as(alice, HOST_A)
    team_page = team.get(f"/equipe/adherents/{dues.membership_id}/").text
    assert "montant inattendu : ce paiement ne règle pas la cotisation, remboursez-le" in team_page
    refunded = team.post(
        f"/equipe/adherents/{dues.membership_id}/", {"action": "refund", "payment": cheap.pk}
    )
    assert refunded.status_code == 302
    assert _state(community_a, cheap)[:2] == ("refunded", "pending")


def test_a_cheque_recorded_while_the_card_payment_went_through_is_refused_and_nobody_pays_twice(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    """Bob pays by card (the webhook is late) while the team records his cheque: the card
    attempt is read from Stripe first, found paid, and the cheque is refused with the reason.
    (It used to be recorded too, the dues paid twice and the team asked to refund one.)"""
    from apps.dues import services as dues_services

    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    assert _confirm(client, payment, VISA)["status"] == "succeeded"
    with schema_context(community_a.schema_name):
        dues = Dues.objects.get(pk=payment.dues_id)
        with pytest.raises(ValidationError, match="payée par carte"):
            dues_services.record_offline_payment(actor=alice, dues=dues, method="cheque", reference="n° 1234")
        assert not Payment.objects.filter(dues=dues, method="cheque").exists()
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_twice"))
    status, dues_status, _numbers = _state(community_a, payment)
    assert (status, dues_status) == ("succeeded", "active")
    team_page = client_as(alice, HOST_A).get(f"/equipe/adherents/{dues.membership_id}/").text
    assert "cotisation déjà réglée par un autre paiement, remboursez-le" not in team_page


def test_an_attempt_abandoned_for_days_is_cancelled_on_stripe_and_no_longer_read(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    import stripe
    from django.utils import timezone

    from apps.stripe_gateway import client as stripe_client
    from workers.payments import reconcile_payments_task

    connect(community_a, alice)
    _client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    with schema_context(community_a.schema_name):
        Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        first = reconcile_payments_task.apply(args=(community_a.schema_name, 0)).get()
        second = reconcile_payments_task.apply(args=(community_a.schema_name, 0)).get()
    assert first == {"abandoned": 1} and second == {}
    with schema_context(community_a.schema_name):
        payment.refresh_from_db()
    assert payment.status == "cancelled"
    intent = stripe.PaymentIntent.retrieve(
        payment.stripe_payment_intent_id, **stripe_client.options(payment.stripe_account_id)
    )
    assert intent["status"] == "canceled"


def test_an_old_account_updated_event_delivered_late_never_rolls_the_status_back(community_a, alice):
    """Stripe does not order its events. The account was disabled then enabled again; the
    « disabled » event arrives last: card payments stay available (the newer state wins), and a
    genuinely newer « disabled » still switches them off."""
    from apps.stripe_gateway.connect import card_payments_available

    account = connect(community_a, alice)
    now = int(time.time())

    def account_event(event_id, created, enabled):
        obj = {"id": account, "object": "account", "charges_enabled": enabled, "details_submitted": True}
        data = event(event_id, "account.updated", obj, account)
        data["created"] = created
        return post_event(Client(HTTP_HOST=PLATFORM_HOST), data)

    assert account_event("evt_acct_enabled", now - 60, True).status_code == 200
    assert account_event("evt_acct_disabled_old", now - 120, False).status_code == 200
    community_a.refresh_from_db()
    assert card_payments_available(community_a) is True
    assert account_event("evt_acct_disabled_new", now - 30, False).status_code == 200
    community_a.refresh_from_db()
    assert card_payments_available(community_a) is False


def test_an_account_event_of_the_same_second_as_our_own_read_is_not_dropped(community_a):
    """Our read of the account is precise to the microsecond, Stripe's events to the second: an
    event Stripe sent just after our read, in the same second, must still apply."""
    connection.set_schema_to_public()
    ConnectedAccount.objects.filter(community=community_a).delete()
    ConnectedAccount.objects.create(community=community_a, account_id="acct_same_second")
    read_at = datetime(2026, 12, 3, 12, 0, 0, 700000, tzinfo=UTC)
    # What refresh_status stores for a read at 12:00:00.700 (charges not yet on).
    apply_account_update({"id": "acct_same_second", "charges_enabled": False}, as_of=our_read_time(read_at))
    later = {"created": int(datetime(2026, 12, 3, 12, 0, 0, 900000, tzinfo=UTC).timestamp())}
    apply_account_update(
        {"id": "acct_same_second", "charges_enabled": True, "details_submitted": True},
        as_of=event_time(later),
    )
    assert ConnectedAccount.objects.get(account_id="acct_same_second").charges_enabled
