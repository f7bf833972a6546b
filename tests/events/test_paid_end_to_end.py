"""A paid event registration with real parts: HTTP server, localstripe, Redis, a Celery worker.

register → seat held → PaymentIntent on the CPTS's account → card confirmed (as Stripe.js does)
→ localstripe signs and POSTs payment_intent.succeeded to the platform host → the worker
re-reads it and confirms the registration → receipt numbered in the dues sequence, PDF e-mailed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events.models import Event, Registration
from apps.payments.models import Payment, Receipt, ReceiptCounter
from apps.stripe_gateway.models import ConnectedAccount, StripeRoute, WebhookEvent
from tenants.models import Community
from tests.conftest import HOST_A, signed_in_client, wait_until
from tests.dues.conftest import card_token, connect, webhook_server  # noqa: F401 - fixture

TITLE = "Assises e2e payantes"


def _cleanup(world):
    connection.set_schema_to_public()
    intents = []
    with schema_context(world.a.schema_name):
        payments = Payment.objects.filter(registration__event__title=TITLE)
        intents = [p for p in payments.values_list("stripe_payment_intent_id", flat=True) if p]
        Receipt.objects.filter(payment__in=payments).delete()
        payments.delete()
        Event.objects.filter(title=TITLE).delete()
        for counter in ReceiptCounter.objects.all():
            last = Receipt.objects.filter(kind=counter.kind, year=counter.year).order_by("-sequence").first()
            counter.last = last.sequence if last else 0
            counter.save(update_fields=["last"])
    StripeRoute.objects.filter(stripe_id__in=intents).delete()
    WebhookEvent.objects.filter(object_id__in=intents).delete()
    ConnectedAccount.objects.filter(community=world.a).delete()
    Community.objects.filter(pk=world.a.pk).update(stripe_account_id="")


@pytest.mark.worker
@pytest.mark.usefixtures("webhook_server")  # localstripe POSTs its signed events to a real server
def test_paid_registration_by_card_webhook_and_receipt_with_a_real_worker(
    real_worker, world, django_db_blocker
):
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)
            start = timezone.now() + timedelta(days=20)
            with schema_context(world.a.schema_name):
                event = Event.objects.create(
                    title=TITLE,
                    starts_at=start,
                    ends_at=start + timedelta(hours=4),
                    capacity=50,
                    price=Decimal("25.00"),
                )
            client = signed_in_client(world.bob, HOST_A)
            registered = client.post(f"/evenements/{event.pk}/inscription/")
            assert registered["Location"] == f"/evenements/{event.pk}/paiement/"
            page = client.get(registered["Location"])
            assert 'id="card-payment"' in page.text and "Payer 25,00 €" in page.text
            with schema_context(world.a.schema_name):
                payment = Payment.objects.get(registration__event=event)
            result = client.post(
                f"/evenements/paiement/{payment.pk}/confirmer/",
                {"payment_method": card_token("4242424242424242")},
            ).json()
            assert result["status"] == "succeeded"

            def receipt():
                with schema_context(world.a.schema_name):
                    return Receipt.objects.filter(payment_id=payment.pk, emailed_at__isnull=False).first()

            issued = wait_until(receipt, timeout=45)
            with schema_context(world.a.schema_name):
                registration = Registration.objects.get(pk=payment.registration_id)
                payment.refresh_from_db()
                assert issued.pdf and issued.pdf.size > 1000
            webhook = WebhookEvent.objects.get(
                object_id=payment.stripe_payment_intent_id, type="payment_intent.succeeded"
            )
            status_page = client.get(f"/evenements/paiement/{payment.pk}/")
        finally:
            _cleanup(world)

    assert (payment.status, registration.status, str(payment.amount)) == ("succeeded", "confirmed", "25.00")
    assert registration.hold_expires_at is None
    assert issued.number == f"{issued.year}-{issued.sequence:06d}" and issued.content["amount"] == "25.00"
    assert webhook.outcome == "routed" and webhook.community_id == world.a.pk
    assert "est confirmée" in status_page.text
    log = real_worker.log()
    assert "dues.handle_stripe_event" in log and "dues.issue_receipt" in log
    mails = [m for m in real_worker.sent_mails() if "bob@test.fr" in m]
    assert len(mails) == 1 and f"n° {issued.number}" in mails[0] and "application/pdf" in mails[0]
    assert TITLE in mails[0]
