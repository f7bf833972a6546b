"""Every refund leaves one line in the CPTS's audit log (docs/audit.md): a refund by the team (its
account as the actor), and the refunds no person asked for — a seat refunded by a worker, an
event cancelled, a refund made on Stripe and read back — with the platform as the actor."""

from __future__ import annotations

import pytest
import stripe
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.dues import services as dues_services
from apps.events import services as event_services
from apps.events.models import Event
from apps.payments import card
from apps.payments import services as payment_services
from apps.payments.models import Payment
from apps.stripe_gateway import client as stripe_client
from tests.conftest import HOST_A, PLATFORM_HOST
from tests.dues.conftest import connect, in_schema, post_event
from tests.dues.test_join_and_offline import _join
from tests.dues.test_webhooks import VISA, _confirm, _start_payment
from tests.events.test_paid_registration import _card_paid, _succeeded


def _refund_lines(payment: Payment) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(action="payments.refunded", target_id=str(payment.pk))
        .order_by("pk")
        .values_list("actor_id", "by_platform", "target_type", "details")
    )


def test_a_team_refund_is_logged_once_with_its_actor_amount_and_method(
    community_a, client_as, alice, bob, django_capture_on_commit_callbacks
):
    dues = _join(client_as(bob, HOST_A), community_a, bob)
    with in_schema(community_a), django_capture_on_commit_callbacks(execute=True):
        payment = dues_services.record_offline_payment(actor=alice, dues=dues, method="cheque")
        payment_services.refund_payment(actor=alice, payment=payment)
        with pytest.raises(ValidationError):  # already refunded: refused, nothing logged
            payment_services.refund_payment(actor=alice, payment=payment)
        lines = _refund_lines(payment)
    assert lines == [(alice.pk, False, "payments.payment", {"amount": "5.00", "method": "cheque"})]


def test_a_refund_read_back_from_stripe_is_logged_once_as_the_platform(community_a, alice, bob, client_as):
    connect(community_a, alice)
    _client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    assert _confirm(_client, payment, VISA)["status"] == "succeeded"
    with schema_context(community_a.schema_name):
        card.sync_payment(payment.pk)
    stripe.Refund.create(
        payment_intent=payment.stripe_payment_intent_id, **stripe_client.options(payment.stripe_account_id)
    )
    with schema_context(community_a.schema_name):
        card.reconcile_pending(older_than_seconds=0)
        card.reconcile_pending(older_than_seconds=0)  # a second sweep records nothing more
        lines = _refund_lines(payment)
    assert lines == [(None, True, "payments.payment", {"amount": "5.00", "method": "card"})]


def test_the_seats_refunded_by_the_workers_are_logged_as_the_platform(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    paid, _client, payment = _card_paid(world, client_as, alice, bob)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_audit_event_cancelled"))
    with django_capture_on_commit_callbacks(execute=True):
        with schema_context("alpha"):
            event_services.update_event(actor=alice, event=paid, data={"status": Event.Status.CANCELLED})
    with schema_context("alpha"):
        assert event_services.refund_cancelled_event(paid.pk) == 0  # run twice: refunded once
        payment.refresh_from_db()
        lines = _refund_lines(payment)
    assert payment.status == Payment.Status.REFUNDED
    assert lines == [(None, True, "payments.payment", {"amount": "15.00", "method": "card"})]
