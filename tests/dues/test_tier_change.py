"""Changing tier while a card attempt at the old amount is open: the attempt is closed on Stripe,
not only in our table, so it can never be charged afterwards (it would be lost or paid twice)."""

from __future__ import annotations

from decimal import Decimal

import stripe
from django_tenants.utils import schema_context

from apps.dues.models import Tier
from apps.payments.models import Payment
from apps.stripe_gateway import client as stripe_client
from tests.conftest import HOST_A
from tests.dues.conftest import authenticate_3ds, card_token, connect, join_data
from tests.dues.test_webhooks import THREE_DS, _start_payment


def test_changing_tier_closes_the_old_card_attempt_on_stripe(community_a, alice, bob, client_as):
    connect(community_a, alice)
    client, old = _start_payment(client_as, community_a, bob, HOST_A)
    confirm = client.post(
        f"/cotisation/paiement/{old.pk}/confirmer/", {"payment_method": card_token(THREE_DS)}
    )
    assert confirm.json()["status"] == "requires_action"
    with schema_context(community_a.schema_name):
        other = Tier.objects.create(
            name="Autre formule", price=Decimal("25"), eligible_categories=["liberal"]
        )

    response = client.post("/adhesion/", join_data(other.pk))

    assert response.status_code == 302, response.content
    with schema_context(community_a.schema_name):
        old.refresh_from_db()
    assert old.status == Payment.Status.CANCELLED
    options = stripe_client.options(old.stripe_account_id)
    intent = stripe.PaymentIntent.retrieve(old.stripe_payment_intent_id, **options)
    assert intent["status"] == "canceled"
    # The other tab finishes the old 3-D Secure prompt: nothing can be charged any more.
    try:
        authenticate_3ds(intent["client_secret"], success=True)
    except Exception:  # noqa: BLE001, S110 - localstripe refuses to authenticate a cancelled intent
        pass
    intent = stripe.PaymentIntent.retrieve(old.stripe_payment_intent_id, **options)
    assert intent["status"] == "canceled"
