"""Card attempts opened at the same time for the same payable, in real threads (one PostgreSQL
connection each) against localstripe: never two open PaymentIntents for one payable."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connection, connections
from django_tenants.utils import schema_context

from apps.dues import services as dues_services
from apps.dues.models import Dues, Tier
from apps.members.models import Membership
from apps.payments import card
from apps.payments.models import Payment, Receipt, ReceiptCounter
from apps.stripe_gateway.models import ConnectedAccount, StripeRoute
from tenants.models import Community
from tests.dues.conftest import card_token, connect
from tests.payments.wire import install

THREE_DS = "4000002500003155"
VISA = "4242424242424242"
THREADS = 4
YEAR = 3300
ROUNDS = 10
STEP_SECONDS = 0.01


def _run_together(*targets) -> list[BaseException]:
    """Each of ``targets`` called in its own thread, all released together; the errors raised."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target) -> None:
        try:
            barrier.wait(timeout=10)
            target()
        except BaseException as error:  # noqa: BLE001 - reported by the caller's assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
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

            errors = _run_together(*[pay] * THREADS)
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


def _record_cheque(world, dues, refusals: list[str]) -> None:
    with schema_context(world.a.schema_name):
        try:
            dues_services.record_offline_payment(actor=world.alice, dues=dues, method="cheque")
        except ValidationError as refusal:
            refusals.append(" ".join(refusal.messages))


def _press_pay(world, dues, delay: float) -> None:
    time.sleep(delay)
    with schema_context(world.a.schema_name):
        try:
            card.start_card_payment(actor=world.bob, dues=dues)
        except (card.PaymentInProgress, card.CardPaymentUnavailable):
            pass  # the cheque was recorded first: nothing to pay


def test_an_offline_payment_recorded_while_the_member_opens_an_attempt_is_not_refused_wrongly(
    world, django_db_blocker
):
    """Alice records Bob's cheque while Bob presses « Régler » (his last attempt a 3-D Secure
    prompt left open). Whatever the order, the cheque is recorded and no card attempt stays open;
    it is never refused with « en cours de confirmation par sa banque » for an attempt Bob has
    only just opened (nothing is being confirmed by a bank)."""
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            counters = dict(ReceiptCounter.objects.values_list("pk", "last"))
        refusals: list[str] = []
        outcomes = []
        try:
            connect(world.a, world.alice)
            for round_ in range(ROUNDS):
                with schema_context(world.a.schema_name):
                    membership = Membership.objects.get(user=world.bob)
                    tier = Tier.objects.first()
                    dues = Dues.objects.create(
                        membership=membership, year=YEAR + 1 + round_, tier=tier, amount=Decimal("5")
                    )
                    stale = card.start_card_payment(actor=world.bob, dues=dues)
                    card.confirm_card_payment(
                        actor=world.bob, payment=stale, payment_method_id=card_token(THREE_DS)
                    )
                errors = _run_together(
                    partial(_record_cheque, world, dues, refusals),
                    # Each round Bob presses a little later: the rounds sweep the team's steps.
                    partial(_press_pay, world, dues, round_ * STEP_SECONDS),
                )
                assert errors == []
                with schema_context(world.a.schema_name):
                    dues.refresh_from_db()
                    still_open = [
                        payment.pk
                        for payment in Payment.objects.filter(dues=dues, status=Payment.Status.PENDING)
                        if card.retrieve_intent(payment)["status"] != "canceled"
                    ]
                    outcomes.append((dues.status, still_open))
        finally:
            with schema_context(world.a.schema_name):
                years = range(YEAR + 1, YEAR + 1 + ROUNDS)
                intents = list(
                    Payment.objects.filter(dues__year__in=years).values_list(
                        "stripe_payment_intent_id", flat=True
                    )
                )
                Receipt.objects.filter(payment__dues__year__in=years, kind=Receipt.Kind.CREDIT_NOTE).delete()
                Receipt.objects.filter(payment__dues__year__in=years).delete()
                Payment.objects.filter(dues__year__in=years).delete()
                Dues.objects.filter(year__in=years).delete()
                for pk, last in counters.items():
                    ReceiptCounter.objects.filter(pk=pk).update(last=last)
                ReceiptCounter.objects.exclude(pk__in=counters).delete()
            connection.set_schema_to_public()
            StripeRoute.objects.filter(stripe_id__in=[i for i in intents if i]).delete()
            ConnectedAccount.objects.filter(community=world.a).delete()
            Community.objects.filter(pk=world.a.pk).update(stripe_account_id="")
            world.a.stripe_account_id = ""

    assert refusals == []
    assert outcomes == [(Dues.Status.ACTIVE, [])] * ROUNDS


def test_a_card_payment_found_paid_while_the_team_records_dues_is_kept_and_no_stripe_call_waits_in_a_transaction(
    world, django_db_blocker, monkeypatch
):
    """Alice records Bob's dues with a cheque (« saisie manuelle ») while Bob, on the payment page,
    pays by card: his new attempt is paid on Stripe, its webhook not arrived yet. Whatever the
    order, what Stripe says is kept: a PaymentIntent paid on Stripe is a payment « Payé » in our
    table and the dues are active (before: the card payment, found paid inside the cheque's
    transaction, was rolled back with the refused cheque). And no Stripe call is made while the
    team's request holds a database transaction (row locks held for as long as Stripe answers)."""
    year = YEAR + 50
    member_done = threading.Event()
    member_errors: list[BaseException] = []

    def member_pays(dues) -> None:
        try:
            with schema_context(world.a.schema_name):
                try:
                    attempt = card.start_card_payment(actor=world.bob, dues=dues)
                except (card.PaymentInProgress, card.CardPaymentUnavailable):
                    return  # the cheque went first: nothing to pay
                card.confirm_card_payment(
                    actor=world.bob, payment=attempt, payment_method_id=card_token(VISA)
                )
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            member_errors.append(error)
        finally:
            connections.close_all()
            member_done.set()

    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            counters = dict(ReceiptCounter.objects.values_list("pk", "last"))
        refusals: list[str] = []
        try:
            connect(world.a, world.alice)
            with schema_context(world.a.schema_name):
                membership = Membership.objects.get(user=world.bob)
                tier = Tier.objects.get(name="Adhésion classique")
                dues = Dues.objects.create(membership=membership, year=year, tier=tier, amount=tier.price)
                first = card.start_card_payment(actor=world.bob, dues=dues)  # page opened, then left
            member = threading.Thread(target=member_pays, args=(dues,), name="member")

            def interleave(sent) -> None:
                # The team's request has just cancelled Bob's first attempt and reads it back: Bob
                # opens a new attempt and pays it now (or waits for the team, if it holds the lock).
                if (
                    sent.thread == "MainThread"
                    and sent.method == "GET"
                    and sent.path.endswith(first.stripe_payment_intent_id)
                    and not member.is_alive()
                    and not member_done.is_set()
                ):
                    member.start()
                    member_done.wait(5)

            wire = install(monkeypatch, before=interleave)
            with schema_context(world.a.schema_name):
                try:
                    dues_services.record_manual_dues(
                        actor=world.alice, membership=membership, tier=tier, year=year, method="cheque"
                    )
                except ValidationError as refusal:
                    refusals.append(" ".join(refusal.messages))
            team_calls = [
                (s.method, s.path) for s in wire.sent if s.thread == "MainThread" and s.in_transaction
            ]
            member.join(30)
            with schema_context(world.a.schema_name):
                dues.refresh_from_db()
                rows = list(Payment.objects.filter(dues=dues).order_by("pk"))
                paid_on_stripe = {
                    p.pk
                    for p in rows
                    if p.stripe_payment_intent_id and card.retrieve_intent(p)["status"] == "succeeded"
                }
                recorded = {p.pk: (p.method, p.status) for p in rows}
        finally:
            monkeypatch.undo()
            with schema_context(world.a.schema_name):
                intents = list(
                    Payment.objects.filter(dues__year=year).values_list("stripe_payment_intent_id", flat=True)
                )
                Receipt.objects.filter(payment__dues__year=year, kind=Receipt.Kind.CREDIT_NOTE).delete()
                Receipt.objects.filter(payment__dues__year=year).delete()
                Payment.objects.filter(dues__year=year).delete()
                Dues.objects.filter(year=year).delete()
                for pk, last in counters.items():
                    ReceiptCounter.objects.filter(pk=pk).update(last=last)
                ReceiptCounter.objects.exclude(pk__in=counters).delete()
            connection.set_schema_to_public()
            StripeRoute.objects.filter(stripe_id__in=[i for i in intents if i]).delete()
            ConnectedAccount.objects.filter(community=world.a).delete()
            Community.objects.filter(pk=world.a.pk).update(stripe_account_id="")
            world.a.stripe_account_id = ""

    assert member_errors == []
    assert member_done.is_set(), "the member's request never ran"
    paid_here = {pk for pk, (method, status) in recorded.items() if status == Payment.Status.SUCCEEDED}
    assert paid_on_stripe <= paid_here, f"paid on Stripe, not recorded: {recorded} (team told: {refusals})"
    assert dues.status == Dues.Status.ACTIVE
    assert team_calls == [], f"Stripe called inside the team's transaction: {team_calls}"
