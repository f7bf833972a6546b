"""« Rembourser » on a card payment already refunded in part (from the CPTS's Stripe dashboard):
Stripe is asked for exactly what remains (never the whole charge again: localstripe, asked with no
amount, refunds the whole charge a second time), and the audit line states the amount this refund
really moved, like the credit note does.
"""

from __future__ import annotations

from decimal import Decimal

import stripe
from django.test import Client
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.payments.models import Payment, Receipt
from apps.stripe_gateway import client as stripe_client
from tests.conftest import HOST_A, PLATFORM_HOST
from tests.dues.conftest import post_event
from tests.payments.test_disputes_and_partial_refunds import _charge, _paid_dues, _refunded_event


def _refund_on_stripe(payment: Payment, cents: int) -> None:
    """A refund made from the CPTS's Stripe dashboard (not through our button)."""
    stripe.Refund.create(
        payment_intent=payment.stripe_payment_intent_id,
        amount=cents,
        **stripe_client.options(payment.stripe_account_id),
    )


def _team_refunds(client_as, alice, payment: Payment) -> None:
    """Alice clicks « Rembourser » on the member's page."""
    with schema_context("alpha"):
        membership_id = Payment.objects.select_related("dues").get(pk=payment.pk).dues.membership_id
    response = client_as(alice, HOST_A).post(
        f"/equipe/adherents/{membership_id}/", {"action": "refund", "payment": str(payment.pk)}
    )
    assert response.status_code == 302, response.content


def _ledger(payment: Payment) -> tuple:
    with schema_context("alpha"):
        payment.refresh_from_db()
        notes = [
            note.content["amount"]
            for note in Receipt.objects.filter(payment=payment, kind=Receipt.Kind.CREDIT_NOTE).order_by("pk")
        ]
        lines = list(
            AuditEvent.objects.filter(target_id=str(payment.pk), action__in=["payments.refunded",
                                      "payments.partially_refunded"])
            .order_by("pk")
            .values_list("action", "actor_id", "details")
        )  # fmt: skip
    return payment.status, payment.amount_refunded, notes, lines


def test_rembourser_after_a_partial_refund_refunds_the_rest_only_and_audits_that_amount(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    payment = _paid_dues(community_a, alice, bob, client_as, django_capture_on_commit_callbacks)
    _refund_on_stripe(payment, 200)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _refunded_event(payment, "evt_part_then_button"))
    with django_capture_on_commit_callbacks(execute=True):
        _team_refunds(client_as, alice, payment)

    charge = _charge(payment)
    assert (charge["amount"], charge["amount_refunded"], charge["refunded"]) == (500, 500, True)
    status, refunded, notes, lines = _ledger(payment)
    assert (status, refunded, notes) == (Payment.Status.REFUNDED, Decimal("5.00"), ["2.00", "3.00"])
    assert lines == [
        ("payments.partially_refunded", None, {"amount": "5.00", "refunded": "2.00", "method": "card"}),
        ("payments.refunded", alice.pk, {"amount": "3.00", "method": "card", "refunded_before": "2.00"}),
    ]


def test_rembourser_after_a_partial_refund_whose_webhook_was_lost_records_it_first_then_refunds_the_rest(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    payment = _paid_dues(community_a, alice, bob, client_as, django_capture_on_commit_callbacks)
    _refund_on_stripe(payment, 150)  # its charge.refunded never reaches us: our ledger says 0
    with django_capture_on_commit_callbacks(execute=True):
        _team_refunds(client_as, alice, payment)

    charge = _charge(payment)
    assert (charge["amount_refunded"], charge["refunded"]) == (500, True)
    status, refunded, notes, lines = _ledger(payment)
    # Credit notes cover what is refunded and not covered yet when their worker runs: here both
    # tasks run after the request, so one note covers the 1,50 € and the 3,50 € (never 6,50 €).
    assert (status, refunded) == (Payment.Status.REFUNDED, Decimal("5.00"))
    assert sum(Decimal(amount) for amount in notes) == Decimal("5.00"), notes
    assert lines == [
        ("payments.partially_refunded", None, {"amount": "5.00", "refunded": "1.50", "method": "card"}),
        ("payments.refunded", alice.pk, {"amount": "3.50", "method": "card", "refunded_before": "1.50"}),
    ]


def test_a_whole_refund_keeps_its_audit_line_with_the_whole_amount(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    payment = _paid_dues(community_a, alice, bob, client_as, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        _team_refunds(client_as, alice, payment)
    charge = _charge(payment)
    assert (charge["amount_refunded"], charge["refunded"]) == (500, True)
    status, refunded, notes, lines = _ledger(payment)
    assert (status, refunded, notes) == (Payment.Status.REFUNDED, Decimal("5.00"), ["5.00"])
    assert lines == [("payments.refunded", alice.pk, {"amount": "5.00", "method": "card"})]
