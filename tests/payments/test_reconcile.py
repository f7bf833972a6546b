"""The reconciliation catches what a lost webhook would have told, beyond pending payments: a
refund made from the CPTS's Stripe dashboard, and a closed attempt that Stripe charged anyway."""

from __future__ import annotations

import stripe
from django.test import Client
from django_tenants.utils import schema_context

from apps.dues.models import Dues
from apps.payments import card, settlement
from apps.payments.models import Payment
from apps.stripe_gateway import client as stripe_client
from tests.conftest import HOST_A, PLATFORM_HOST
from tests.dues.conftest import authenticate_3ds, card_token, connect, event, post_event
from tests.dues.test_webhooks import THREE_DS, VISA, _confirm, _start_payment


def test_a_dashboard_refund_whose_webhook_is_lost_is_caught_by_the_reconciliation(
    community_a, alice, bob, client_as
):
    """Bob's dues are paid by card and recorded. The treasurer refunds him from the Stripe
    dashboard; the charge.refunded webhook is lost (broker down at commit, task lost). The
    sweep reads the account's recent refunds: the payment is recorded refunded, the dues too."""
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    assert _confirm(client, payment, VISA)["status"] == "succeeded"
    with schema_context(community_a.schema_name):
        assert card.sync_payment(payment.pk) == "succeeded"  # its webhook did arrive
    stripe.Refund.create(
        payment_intent=payment.stripe_payment_intent_id, **stripe_client.options(payment.stripe_account_id)
    )
    with schema_context(community_a.schema_name):
        outcome = card.reconcile_pending(older_than_seconds=0)
        payment.refresh_from_db()
        dues = Dues.objects.get(pk=payment.dues_id)
    assert payment.status == Payment.Status.REFUNDED, outcome
    assert payment.refunded_at is not None and dues.status == Dues.Status.REFUNDED


def test_a_closed_attempt_charged_on_stripe_anyway_is_recorded_by_the_reconciliation(
    community_a, alice, bob, client_as
):
    """A declined attempt is recorded « échoué » and its PaymentIntent should be cancelled on
    Stripe, but that cancel never arrived (Stripe out of reach at that moment). The page still
    holds its client secret: the intent is confirmed with another card and Stripe takes the money,
    webhook lost. The sweep re-reads recent closed attempts: the money is recorded, the dues paid."""
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    with schema_context(community_a.schema_name):
        assert settlement.mark_payment_failed(payment.pk, reason="card_declined")
    opts = stripe_client.options(payment.stripe_account_id)
    # What Stripe.js does with the client secret the page still holds.
    stripe.PaymentIntent.modify(payment.stripe_payment_intent_id, payment_method=card_token(VISA), **opts)
    intent = stripe.PaymentIntent.confirm(payment.stripe_payment_intent_id, **opts)
    assert intent["status"] == "succeeded"  # money taken while our row says « échoué »
    with schema_context(community_a.schema_name):
        outcome = card.reconcile_pending(older_than_seconds=0)
        payment.refresh_from_db()
        dues = Dues.objects.get(pk=payment.dues_id)
    assert payment.status == Payment.Status.SUCCEEDED, outcome
    assert dues.status == Dues.Status.ACTIVE


def test_a_closed_attempt_still_open_on_stripe_is_cancelled_there(community_a, alice, bob, client_as):
    """Same lost cancel, but nobody has confirmed the intent yet: the sweep cancels it on Stripe,
    so the abandoned client secret can no longer charge anything; our row stays « échoué »."""
    connect(community_a, alice)
    _client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    with schema_context(community_a.schema_name):
        assert settlement.mark_payment_failed(payment.pk, reason="card_declined")
        card.reconcile_pending(older_than_seconds=0)
        payment.refresh_from_db()
        intent = card.retrieve_intent(payment)
    assert intent["status"] == "canceled"
    assert (payment.status, payment.failure_reason) == (Payment.Status.FAILED, "card_declined")


def _failed_by_webhook_only(client_as, community, user, capture):
    """3-D Secure refused in the browser: only the webhook tells us (the page never confirms)."""
    client, payment = _start_payment(client_as, community, user, HOST_A)
    result = _confirm(client, payment, THREE_DS)
    assert result["status"] == "requires_action"
    assert authenticate_3ds(result["client_secret"], success=False)["status"] == "requires_payment_method"
    with capture(execute=True):
        post_event(
            Client(HTTP_HOST=PLATFORM_HOST),
            event(
                f"evt_3ds_failed_{payment.pk}",
                "payment_intent.payment_failed",
                {"id": payment.stripe_payment_intent_id},
            ),
        )
    return payment


def test_a_failure_told_only_by_the_webhook_is_cancelled_on_stripe(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    """The failed PaymentIntent is open on Stripe (requires_payment_method) and its client secret
    is in the page: the webhook's sync records the failure and cancels it there at once."""
    connect(community_a, alice)
    payment = _failed_by_webhook_only(client_as, community_a, bob, django_capture_on_commit_callbacks)
    with schema_context(community_a.schema_name):
        payment.refresh_from_db()
        intent = card.retrieve_intent(payment)
    assert (payment.status, payment.failure_reason) == ("failed", card.AUTHENTICATION_FAILED)
    assert intent["status"] == "canceled"
    assert payment.cancelled_on_stripe_at is not None


def _count_reads(monkeypatch) -> list[str]:
    """The PaymentIntents read from Stripe from now on (a spy on the Stripe library: each call
    still goes to localstripe)."""
    read: list[str] = []
    retrieve = stripe.PaymentIntent.retrieve

    def counting(intent_id, *args, **kwargs):
        read.append(intent_id)
        return retrieve(intent_id, *args, **kwargs)

    monkeypatch.setattr(stripe.PaymentIntent, "retrieve", counting)
    return read


def test_an_attempt_cancelled_on_stripe_is_read_back_once_not_at_every_sweep(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks, monkeypatch
):
    """Three closed attempts: one cancelled on Stripe before the column existed (read once, then
    known), one whose cancel never reached Stripe (the sweep cancels it, then knows it is final),
    one failed and cancelled by the webhook's sync (known at once, never read by the sweep).
    Later sweeps read none of them again."""
    connect(community_a, alice)
    before_column = _failed_by_webhook_only(client_as, community_a, bob, django_capture_on_commit_callbacks)
    with schema_context(community_a.schema_name):
        Payment.objects.filter(pk=before_column.pk).update(cancelled_on_stripe_at=None)
    _client, still_open = _start_payment(client_as, community_a, bob, HOST_A)
    with schema_context(community_a.schema_name):
        assert settlement.mark_payment_failed(still_open.pk, reason="card_declined")  # cancel never sent
    webhook_failed = _failed_by_webhook_only(client_as, community_a, bob, django_capture_on_commit_callbacks)
    reads = _count_reads(monkeypatch)
    with schema_context(community_a.schema_name):
        card.reconcile_pending(older_than_seconds=0)
        first = list(reads)
        card.reconcile_pending(older_than_seconds=0)
        card.reconcile_pending(older_than_seconds=0)
        stamped = dict(
            Payment.objects.filter(pk__in=[before_column.pk, still_open.pk, webhook_failed.pk]).values_list(
                "pk", "cancelled_on_stripe_at"
            )
        )
        intent = card.retrieve_intent(still_open)
    assert sorted(first) == sorted(
        [before_column.stripe_payment_intent_id, still_open.stripe_payment_intent_id]
    )
    assert reads[len(first) :] == [still_open.stripe_payment_intent_id]  # the retrieve just above only
    assert intent["status"] == "canceled" and all(stamped.values())
