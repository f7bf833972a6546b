"""What the team sees of money taken back outside our own « Rembourser » button: a partial refund
made from the CPTS's Stripe dashboard, and a chargeback (dispute) opened by the member's bank.

- A partial refund: the payment stays « Payé » with the amount refunded shown, a credit note is
  issued for that amount only, and the membership is kept (the dues were paid; part was given back).
- A dispute: shown to the team on the member's page and written to the audit log while the bank
  decides, nothing changes for the member; lost, the bank took the money back: the payment is
  reversed like a refund (credit note, dues no longer paid). An older event delivered late never
  rolls a dispute back.
"""

from __future__ import annotations

import time
from decimal import Decimal

import stripe
from django.test import Client
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.dues.models import Dues
from apps.members.standing import Standing, standing_of
from apps.payments import card
from apps.payments.models import Payment, Receipt
from apps.stripe_gateway import client as stripe_client
from tests.conftest import HOST_A, PLATFORM_HOST
from tests.dues.conftest import connect, event, post_event
from tests.dues.test_webhooks import VISA, _confirm, _start_payment, _succeeded


def _paid_dues(community, alice, bob, client_as, capture) -> Payment:
    connect(community, alice)
    client, payment = _start_payment(client_as, community, bob, HOST_A)
    assert _confirm(client, payment, VISA)["status"] == "succeeded"
    with capture(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, f"evt_paid_{payment.pk}"))
    with schema_context(community.schema_name):
        payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    return payment


def _charge(payment: Payment) -> dict:
    with schema_context("alpha"):
        return card.retrieve_intent_with_charge(payment)["latest_charge"]


def _refunded_event(payment: Payment, event_id: str) -> dict:
    charge = _charge(payment)
    obj = {
        "id": charge["id"],
        "object": "charge",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": charge["amount"],
        "amount_refunded": charge["amount_refunded"],
        "refunded": charge["refunded"],
    }
    return event(event_id, "charge.refunded", obj)


def _dispute_event(payment: Payment, event_id: str, type_: str, status: str, created: int) -> dict:
    obj = {
        "id": f"dp_{payment.pk}",
        "object": "dispute",
        "charge": _charge(payment)["id"],
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": 500,
        "currency": "eur",
        "reason": "fraudulent",
        "status": status,
    }
    data = event(event_id, type_, obj)
    data["created"] = created
    return data


def _credit_notes(payment: Payment) -> list[tuple[str, str]]:
    return [
        (note.content["amount"], note.number)
        for note in Receipt.objects.filter(payment=payment, kind=Receipt.Kind.CREDIT_NOTE).order_by("pk")
    ]


def test_a_partial_refund_made_on_stripe_is_shown_with_a_credit_note_for_its_amount_and_the_membership_kept(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    payment = _paid_dues(community_a, alice, bob, client_as, django_capture_on_commit_callbacks)
    opts = stripe_client.options(payment.stripe_account_id)
    stripe.Refund.create(payment_intent=payment.stripe_payment_intent_id, amount=200, **opts)
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(platform, _refunded_event(payment, "evt_partial_1")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # delivered again, and the sweep: nothing more
        post_event(platform, _refunded_event(payment, "evt_partial_1_again"))
        with schema_context(community_a.schema_name):
            card.reconcile_pending(older_than_seconds=0)
    with schema_context(community_a.schema_name):
        payment.refresh_from_db()
        dues = Dues.objects.select_related("membership").get(pk=payment.dues_id)
        notes = _credit_notes(payment)
        standing = standing_of(dues.membership)
        lines = list(
            AuditEvent.objects.filter(
                action="payments.partially_refunded", target_id=str(payment.pk)
            ).values_list("by_platform", "details")
        )
    assert (payment.status, payment.amount_refunded) == (Payment.Status.SUCCEEDED, Decimal("2.00"))
    assert dues.status == Dues.Status.ACTIVE and standing == Standing.GOOD
    assert [amount for amount, _number in notes] == ["2.00"]
    assert lines == [(True, {"amount": "5.00", "refunded": "2.00", "method": "card"})]
    page = client_as(alice, HOST_A).get(f"/equipe/adherents/{dues.membership_id}/").text
    assert "dont 2,00 € remboursé" in page and notes[0][1] in page

    # The rest is refunded from the dashboard too: the payment is refunded, a second credit note
    # covers the remaining 3,00 € (never the whole 5,00 € again), and the dues are no longer paid.
    stripe.Refund.create(payment_intent=payment.stripe_payment_intent_id, amount=300, **opts)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(platform, _refunded_event(payment, "evt_partial_2"))
    with schema_context(community_a.schema_name):
        payment.refresh_from_db()
        dues.refresh_from_db()
        notes = _credit_notes(payment)
    assert (payment.status, payment.amount_refunded) == (Payment.Status.REFUNDED, Decimal("5.00"))
    assert [amount for amount, _number in notes] == ["2.00", "3.00"]
    assert dues.status == Dues.Status.REFUNDED


def test_a_dispute_is_shown_to_the_team_and_audited_and_once_lost_the_payment_is_reversed(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    payment = _paid_dues(community_a, alice, bob, client_as, django_capture_on_commit_callbacks)
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    now = int(time.time())
    opened = _dispute_event(payment, "evt_dp_open", "charge.dispute.created", "needs_response", now - 60)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(platform, opened).status_code == 200
    with schema_context(community_a.schema_name):
        payment.refresh_from_db()
        dues = Dues.objects.select_related("membership").get(pk=payment.dues_id)
        standing = standing_of(dues.membership)
    assert payment.dispute_status == "needs_response" and payment.status == Payment.Status.SUCCEEDED
    assert dues.status == Dues.Status.ACTIVE and standing == Standing.GOOD  # the bank has not decided
    page = client_as(alice, HOST_A).get(f"/equipe/adherents/{dues.membership_id}/").text
    assert "Contestation bancaire : réponse attendue sur Stripe (fraude alléguée)" in page

    lost = _dispute_event(payment, "evt_dp_lost", "charge.dispute.closed", "lost", now - 10)
    late = _dispute_event(payment, "evt_dp_late", "charge.dispute.updated", "under_review", now - 30)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(platform, lost)
        post_event(platform, late)  # older news, delivered last: ignored
    with schema_context(community_a.schema_name):
        payment.refresh_from_db()
        dues.refresh_from_db()
        notes = _credit_notes(payment)
        lines = list(
            AuditEvent.objects.filter(target_id=str(payment.pk), action__startswith="payments.")
            .order_by("pk")
            .values_list("action", "by_platform", "details")
        )
    assert payment.dispute_status == "lost" and payment.status == Payment.Status.REFUNDED
    assert dues.status == Dues.Status.REFUNDED
    assert [amount for amount, _number in notes] == ["5.00"]
    assert lines == [
        ("payments.disputed", True, {"status": "needs_response", "reason": "fraudulent", "amount": "5.00"}),
        ("payments.disputed", True, {"status": "lost", "reason": "fraudulent", "amount": "5.00"}),
        ("payments.refunded", True, {"amount": "5.00", "method": "card"}),
    ]
    page = client_as(alice, HOST_A).get(f"/equipe/adherents/{dues.membership_id}/").text
    assert "Contestation bancaire perdue : la banque a repris le paiement" in page


def test_a_lost_dispute_arriving_before_the_payment_s_own_success_still_reverses_it(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    assert _confirm(client, payment, VISA)["status"] == "succeeded"
    with schema_context(community_a.schema_name):
        # The success webhook was lost and the sweep has not run yet: our row is still pending.
        Payment.objects.filter(pk=payment.pk).update(status="pending", paid_at=None)
        Dues.objects.filter(pk=payment.dues_id).update(status="pending")
        Receipt.objects.filter(payment=payment).delete()
    lost = _dispute_event(payment, "evt_dp_lost_first", "charge.dispute.closed", "lost", int(time.time()))
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(Client(HTTP_HOST=PLATFORM_HOST), lost).status_code == 200
    with schema_context(community_a.schema_name):
        payment.refresh_from_db()
        dues = Dues.objects.get(pk=payment.dues_id)
        notes = Receipt.objects.filter(payment=payment, kind="credit_note").count()
    assert (payment.status, payment.dispute_status, notes) == (Payment.Status.REFUNDED, "lost", 1)
    assert dues.status != "active"
