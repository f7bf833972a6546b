"""Card attempts opened at the same time for the same payable, in real threads (one PostgreSQL
connection each) against localstripe: never two open PaymentIntents for one payable."""

from __future__ import annotations

import threading
from decimal import Decimal

from django.db import connection, connections
from django_tenants.utils import schema_context

from apps.dues.models import Dues, Tier
from apps.members.models import Membership
from apps.payments import card
from apps.payments.models import Payment, Receipt
from apps.stripe_gateway.models import ConnectedAccount, StripeRoute
from tenants.models import Community
from tests.dues.conftest import card_token, connect

THREE_DS = "4000002500003155"
THREADS = 4
YEAR = 3300


def _run_together(target, count: int) -> list[BaseException]:
    """``target()`` in ``count`` threads released together; the errors they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            target()
        except BaseException as error:  # noqa: BLE001 - reported by the caller's assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_two_pay_requests_at_once_open_one_new_attempt(world, django_db_blocker):
    """Bob left a 3-D Secure prompt unanswered, then presses « Régler » in two tabs at once (here
    four): the stale attempt is closed once and exactly one new attempt is opened; every request
    gets that one (or is told a payment is in progress), never a second confirmable PaymentIntent."""
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)
            with schema_context(world.a.schema_name):
                membership = Membership.objects.get(user=world.bob)
                tier = Tier.objects.first()
                dues = Dues.objects.create(membership=membership, year=YEAR, tier=tier, amount=Decimal("5"))
                stale = card.start_card_payment(actor=world.bob, dues=dues)
                result = card.confirm_card_payment(
                    actor=world.bob, payment=stale, payment_method_id=card_token(THREE_DS)
                )
                assert result["status"] == "requires_action"  # the prompt is left open
            opened: list[int] = []

            def pay() -> None:
                with schema_context(world.a.schema_name):
                    try:
                        opened.append(card.start_card_payment(actor=world.bob, dues=dues).pk)
                    except card.PaymentInProgress as in_progress:
                        opened.append(in_progress.payment.pk)

            errors = _run_together(pay, THREADS)
            with schema_context(world.a.schema_name):
                attempts = list(Payment.objects.filter(dues=dues).order_by("pk").values_list("pk", "status"))
                open_intents = {
                    payment.stripe_payment_intent_id: card.retrieve_intent(payment)["status"]
                    for payment in Payment.objects.filter(dues=dues).exclude(pk=stale.pk)
                }
        finally:
            with schema_context(world.a.schema_name):
                intents = list(
                    Payment.objects.filter(dues__year=YEAR).values_list("stripe_payment_intent_id", flat=True)
                )
                Receipt.objects.filter(payment__dues__year=YEAR).delete()
                Payment.objects.filter(dues__year=YEAR).delete()
                Dues.objects.filter(year=YEAR).delete()
            connection.set_schema_to_public()
            StripeRoute.objects.filter(stripe_id__in=intents).delete()
            ConnectedAccount.objects.filter(community=world.a).delete()
            Community.objects.filter(pk=world.a.pk).update(stripe_account_id="")
            world.a.stripe_account_id = ""

    assert errors == []
    pending = [pk for pk, status in attempts if status == Payment.Status.PENDING]
    assert len(pending) == 1, f"attempts after {THREADS} requests at once: {attempts}"
    assert set(opened) == set(pending)
    assert dict(attempts)[stale.pk] == Payment.Status.CANCELLED
    assert len(open_intents) == 1, open_intents
