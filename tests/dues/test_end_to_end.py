"""The whole card flow with real parts: HTTP server, localstripe, Redis, a Celery worker process.

join → PaymentIntent → card confirmed with a test card (as Stripe.js does) → localstripe signs
and POSTs payment_intent.succeeded to the platform host → the worker applies it → dues active →
receipt numbered, PDF stored and e-mailed.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from apps.dues.models import Dues, Tier
from apps.members.models import Membership
from apps.payments.models import Payment, Receipt, ReceiptCounter
from apps.professionals.models import AccountCommunity, ProfessionalProfile
from apps.stripe_gateway.models import ConnectedAccount, StripeRoute, WebhookEvent
from tenants.models import Community
from tests.conftest import HOST_A, PASSWORD, wait_until
from tests.dues.conftest import card_token, connect, join_data
from tests.factories.accounts import sign_up

EMAIL = "erwan.e2e@test.fr"


def _cleanup(world):
    connection.set_schema_to_public()
    user = get_user_model().objects.filter(email=EMAIL).first()
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
            counter.last = last.sequence if last else 0
            counter.save(update_fields=["last"])
    StripeRoute.objects.filter(stripe_id__in=intents).delete()
    WebhookEvent.objects.filter(object_id__in=intents).delete()
    ConnectedAccount.objects.filter(community=world.a).delete()
    Community.objects.filter(pk=world.a.pk).update(stripe_account_id="")
    if user is not None:
        AccountCommunity.objects.filter(user=user).delete()
        ProfessionalProfile.objects.filter(user=user).delete()
        # Collector-based delete() would look for tenant tables (members) in the public schema.
        get_user_model().objects.filter(pk=user.pk)._raw_delete(using="default")


@pytest.mark.worker
def test_join_pay_by_card_webhook_and_numbered_receipt_with_a_real_worker(
    real_worker, webhook_server, world, django_db_blocker
):
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)
            client = Client(HTTP_HOST=HOST_A)
            sign_up(client, EMAIL, first_name="Erwan", last_name="Kiné", password=PASSWORD)
            with schema_context(world.a.schema_name):
                tier = Tier.objects.get(name="Adhésion partenaire")
            joined = client.post("/adhesion/", join_data(tier.pk))
            assert joined.status_code == 302, joined.content
            page = client.get(joined["Location"])
            assert 'id="card-payment"' in page.text
            with schema_context(world.a.schema_name):
                payment = Payment.objects.get(dues__membership__user__email=EMAIL)
            result = client.post(
                f"/cotisation/paiement/{payment.pk}/confirmer/",
                {"payment_method": card_token("4242424242424242")},
            ).json()
            assert result["status"] == "succeeded"

            def receipt():
                with schema_context(world.a.schema_name):
                    return Receipt.objects.filter(payment_id=payment.pk, emailed_at__isnull=False).first()

            issued = wait_until(receipt, timeout=45)
            with schema_context(world.a.schema_name):
                dues = Dues.objects.get(pk=payment.dues_id)
                payment.refresh_from_db()
                assert issued.pdf and issued.pdf.size > 1000
            event = WebhookEvent.objects.get(
                object_id=payment.stripe_payment_intent_id, type="payment_intent.succeeded"
            )
            status_page = client.get(f"/cotisation/paiement/{payment.pk}/")
        finally:
            _cleanup(world)

    assert (payment.status, dues.status, str(dues.amount)) == ("succeeded", "active", "17.00")
    assert issued.number == f"{issued.year}-{issued.sequence:06d}" and issued.content["amount"] == "17.00"
    assert event.outcome == "routed" and event.community_id == world.a.pk
    assert "votre cotisation" in status_page.text and "est à jour" in status_page.text
    log = real_worker.log()
    assert "dues.handle_stripe_event" in log and "dues.issue_receipt" in log
    mails = [m for m in real_worker.sent_mails() if EMAIL in m]
    assert len(mails) == 1 and f"n° {issued.number}" in mails[0] and "application/pdf" in mails[0]
