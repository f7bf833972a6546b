"""The reconciliation catches what a lost webhook would have told, beyond pending payments: a
refund made from the CPTS's Stripe dashboard, and a closed attempt that Stripe charged anyway."""

from __future__ import annotations

import stripe
from django_tenants.utils import schema_context

from apps.dues.models import Dues
from apps.payments import card, settlement
from apps.payments.models import Payment
from apps.stripe_gateway import client as stripe_client
from tests.conftest import HOST_A
from tests.dues.conftest import card_token, connect
from tests.dues.test_webhooks import VISA, _confirm, _start_payment


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
