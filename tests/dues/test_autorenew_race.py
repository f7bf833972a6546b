"""The automatic renewal and the member's own card payment never both charge the same dues."""

from __future__ import annotations

import pytest
import requests
import stripe
from django_tenants.utils import schema_context

from apps.dues import autorenew
from apps.dues.models import Dues, Tier
from apps.members.models import Membership
from apps.payments import card
from apps.payments.models import Payment, PaymentMethod
from apps.stripe_gateway import client as stripe_client
from tests.conftest import HOST_A
from tests.dues.conftest import authenticate_3ds, card_token, connect
from tests.dues.test_autorenew import _paid_2026, _save_card

THREE_DS = "4000002500003155"


def _charged(dues) -> list[Payment]:
    return [
        payment
        for payment in Payment.objects.filter(dues=dues)
        if payment.stripe_payment_intent_id
        and stripe.PaymentIntent.retrieve(
            payment.stripe_payment_intent_id, **stripe_client.options(payment.stripe_account_id)
        )["status"]
        == "succeeded"
    ]


def _renewing_bob(community_a, alice, bob, client_as):
    connect(community_a, alice)
    _paid_2026(community_a, bob)
    assert _save_card(client_as(bob, HOST_A), "4242424242424242").json()["ok"] is True
    with schema_context(community_a.schema_name):
        membership = Membership.objects.get(user=bob)
        tier = Tier.objects.get(name="Adhésion classique")
        dues = Dues.objects.create(membership=membership, year=2027, tier=tier, amount=tier.price)
    return membership, dues


def test_the_renewal_closes_the_member_s_unanswered_prompt_and_charges_once(
    community_a, alice, bob, client_as
):
    membership, dues = _renewing_bob(community_a, alice, bob, client_as)
    with schema_context(community_a.schema_name):
        # 31 December: bob pays 2027 himself on the site and leaves the 3-D Secure prompt open.
        mine = card.start_card_payment(actor=bob, dues=dues)
        result = card.confirm_card_payment(actor=bob, payment=mine, payment_method_id=card_token(THREE_DS))
        assert result["status"] == "requires_action"

        assert autorenew.charge(membership, 2027) == "succeeded"  # 1 January

        with pytest.raises(requests.HTTPError):  # his prompt was cancelled on Stripe
            authenticate_3ds(result["client_secret"], success=True)
        card.sync_payment(mine.pk)
        rows = list(Payment.objects.filter(dues=dues).values_list("off_session", "status"))
        assert len(_charged(dues)) == 1, rows
        assert Dues.objects.get(pk=dues.pk).status == Dues.Status.ACTIVE


def test_the_member_cannot_open_a_card_attempt_while_the_bank_answers_the_renewal(
    community_a, alice, bob, client_as
):
    membership, dues = _renewing_bob(community_a, alice, bob, client_as)
    with schema_context(community_a.schema_name):
        renewal = Payment.objects.create(
            dues=dues,
            method=PaymentMethod.CARD,
            amount=dues.amount,
            off_session=True,
            stripe_payment_intent_id="pi_renewal_processing",
        )  # the renewal's charge, its outcome not known yet
        with pytest.raises(card.PaymentInProgress) as refused:
            card.start_card_payment(actor=bob, dues=dues)
        assert refused.value.payment.pk == renewal.pk
        assert not Payment.objects.filter(dues=dues, off_session=False).exists()


def test_a_renewal_unreached_last_time_is_retried_not_closed_by_its_own_guard(
    community_a, alice, bob, client_as
):
    membership, dues = _renewing_bob(community_a, alice, bob, client_as)
    with schema_context(community_a.schema_name):
        Payment.objects.create(dues=dues, method=PaymentMethod.CARD, amount=dues.amount, off_session=True)
        assert autorenew.charge(membership, 2027) == "succeeded"
        assert len(_charged(dues)) == 1
