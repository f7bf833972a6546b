"""Settling payments: succeeded, failed or cancelled, refunded. The only writes of a payment's
status after its creation; what it pays is told through its payable's hooks
(``apps.payments.registry``). Receipts and credit notes are issued by workers after commit."""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.log import record
from tenants.actors import SYSTEM
from tenants.queue import enqueue_on_commit

from . import registry
from .models import DISPUTE_LOST, DisputeFee, Payment

logger = logging.getLogger(__name__)

# ``Payment.failure_reason`` of a succeeded payment whose amount or currency is not what it pays.
AMOUNT_MISMATCH = "amount_mismatch"
# ``Payment.failure_reason`` of a succeeded payment of something already paid by another payment.
ALREADY_PAID = "already_paid"


def cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _charged_as_asked(payment: Payment, charged: tuple[int, str] | None) -> bool:
    """Stripe's (amount in cents, currency) of a card payment is what we asked for it."""
    if charged is None:  # not read from Stripe (offline payments)
        return True
    amount, currency = charged
    return amount == cents(payment.amount) and str(currency or "").lower() == "eur"


def _lock_payable_first(payment_id: int) -> None:
    """The locks a payable's changes take before the payment row (e.g. a seat's event row)."""
    for hooks in registry.registered().values():
        if hooks.lock_before_payment(payment_id):
            return


def enqueue_receipt(payment: Payment) -> None:
    enqueue_on_commit("dues.issue_receipt", connection.schema_name, payment.pk)


def mark_payment_succeeded(payment_id: int, *, paid_at=None, charged: tuple[int, str] | None = None) -> bool:
    """A payment confirmed by Stripe (webhook or reconciliation). True when this call changed it.

    Idempotent: a payment already succeeded or refunded is left alone. ``charged`` is what Stripe
    says was paid (cents, currency): when it, or our payment's amount, is not what the payable
    costs now (a PaymentIntent changed outside our flow, an attempt at a former tier or price paid
    from the browser), the money is recorded as received (``failure_reason`` AMOUNT_MISMATCH) but
    the payable's ``on_paid`` hook settles nothing with it (a seat's payment is refunded by a
    worker; dues stay unpaid for the team to refund).
    """
    with transaction.atomic():
        _lock_payable_first(payment_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
            return False
        hooks, _obj = registry.payable_of(payment)
        expected = hooks.amount_due(payment)
        in_full = _charged_as_asked(payment, charged) and payment.amount == expected
        if not in_full:
            logger.error(
                "payment %s: Stripe charged %s for %s € expected: it settles nothing",
                payment.pk,
                charged,
                expected,
            )
        payment.status = Payment.Status.SUCCEEDED
        payment.paid_at = paid_at or timezone.now()
        payment.failure_reason = "" if in_full else AMOUNT_MISMATCH
        payment.save(update_fields=["status", "paid_at", "failure_reason"])
        hooks.on_paid(payment)
        enqueue_receipt(payment)
    return True


def mark_payment_failed(payment_id: int, *, reason: str, cancelled: bool = False) -> bool:
    """A failed (or cancelled) attempt. Never undoes a success: only a pending/failed payment moves."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status not in (Payment.Status.PENDING, Payment.Status.FAILED):
            return False
        if cancelled and payment.status == Payment.Status.FAILED:
            # A failed attempt whose PaymentIntent we then closed on Stripe stays failed, with its reason.
            return False
        status = Payment.Status.CANCELLED if cancelled else Payment.Status.FAILED
        if payment.status == status and payment.failure_reason == reason:
            return False
        payment.status, payment.failure_reason = status, reason[:255]
        payment.save(update_fields=["status", "failure_reason"])
    return True


def mark_payment_refunded(payment_id: int, *, seen_on_stripe: bool = False, actor=SYSTEM) -> bool:
    """Record a refund (ours or seen on Stripe) and have a worker issue the credit note.

    Every refund goes through here, so this is where it is written to the audit log
    (``payments.refunded``, in the same transaction, once, with the amount this refund moved:
    the rest when part was refunded before, ``refunded_before``): ``actor`` is the person who asked for
    it (``apps.payments.services.refund_payment``), the platform (``SYSTEM``) for the refunds no
    person asked for (a seat refunded by a worker, a cancelled event, a refund read back from Stripe).

    ``seen_on_stripe`` (e.g. a refund made from the CPTS's dashboard): the payable's own locks are
    taken first and its ``on_refunded`` hook told so (an event seat left with no paid payment is
    released to the waiting list; our own refunds of a seat cancel the registration themselves)."""
    with transaction.atomic():
        if seen_on_stripe:
            _lock_payable_first(payment_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != Payment.Status.SUCCEEDED:
            return False
        before = payment.amount_refunded
        payment.status = Payment.Status.REFUNDED
        payment.refunded_at = timezone.now()
        payment.amount_refunded = payment.amount
        payment.save(update_fields=["status", "refunded_at", "amount_refunded"])
        # The amount this refund moved: the rest, after a partial refund (as its credit note says).
        details = {"amount": str(payment.amount - before), "method": payment.method}
        if before:
            details["refunded_before"] = str(before)
        record(actor, "payments.refunded", payment, **details)
        hooks, _obj = registry.payable_of(payment)
        hooks.on_refunded(payment, seen_on_stripe=seen_on_stripe)
        enqueue_on_commit("dues.issue_credit_note", connection.schema_name, payment.pk)
    return True


def record_partial_refund(payment_id: int, *, refunded: Decimal) -> bool:
    """Part of a paid payment was refunded on Stripe (e.g. from the CPTS's dashboard): Stripe's
    total refunded so far is ``refunded`` (less than the amount; the whole amount goes through
    ``mark_payment_refunded``). The payment stays « Payé », so what it pays stays paid (the
    membership is kept, the seat too); the total is stored, written to the audit log and a worker
    issues a credit note for the part not covered yet. True when this call changed something;
    idempotent (a total already known, or smaller, is ignored)."""
    refunded = refunded.quantize(Decimal("0.01"))
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != Payment.Status.SUCCEEDED or not 0 < refunded < payment.amount:
            return False
        if refunded <= payment.amount_refunded:
            return False
        payment.amount_refunded = refunded
        payment.refunded_at = timezone.now()
        payment.save(update_fields=["amount_refunded", "refunded_at"])
        record(
            SYSTEM,
            "payments.partially_refunded",
            payment,
            amount=str(payment.amount),
            refunded=str(refunded),
            method=payment.method,
        )
        enqueue_on_commit("dues.issue_credit_note", connection.schema_name, payment.pk)
    return True


def record_dispute(payment_id: int, *, status: str, reason: str, at) -> bool:
    """A chargeback on a paid payment, as Stripe held it at ``at`` (its event's time): stored for
    the team (``Payment.dispute_label``) and written to the audit log (``payments.disputed``) at
    each change of status. An older state delivered late is ignored (Stripe does not order events).

    While the bank decides, nothing else changes: the member paid, and the CPTS may win. Lost, the
    bank has taken the money back: the payment is reversed as a refund (``mark_payment_refunded``,
    seen on Stripe: credit note, dues no longer paid, seat released). True when this call changed
    the dispute."""
    with transaction.atomic():
        _lock_payable_first(payment_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.dispute_state_at is not None and payment.dispute_state_at > at:
            return False
        if (payment.dispute_status, payment.dispute_reason) == (status, reason):
            if at > (payment.dispute_state_at or at):
                # The same state seen later: the stored time moves on, so an older state
                # delivered after it is still recognised as older.
                Payment.objects.filter(pk=payment.pk).update(dispute_state_at=at)
            return False
        if status == DISPUTE_LOST and payment.status not in (
            Payment.Status.SUCCEEDED,
            Payment.Status.REFUNDED,
        ):
            # Not paid here yet (its success not read back): nothing to reverse, and storing
            # « lost » now would make the next delivery of this event change nothing.
            return False
        payment.dispute_status, payment.dispute_reason = status[:40], reason[:60]
        payment.dispute_state_at = at
        payment.save(update_fields=["dispute_status", "dispute_reason", "dispute_state_at"])
        record(SYSTEM, "payments.disputed", payment, status=status, reason=reason, amount=str(payment.amount))
        if status == DISPUTE_LOST:
            mark_payment_refunded(payment.pk, seen_on_stripe=True)
    return True


def record_dispute_fees(payment_id: int, *, dispute_id: str, balance_transactions) -> int:
    """The dispute fees Stripe moved on the CPTS's balance for a chargeback on this payment, from
    the dispute's ``balance_transactions`` (Stripe's Dispute object: zero, one or two of them, the
    funds withdrawn and, once won, reinstated), each transaction's ``fee`` as Stripe states it:
    positive when taken, negative when given back.

    One ``DisputeFee`` row per balance transaction, recorded once whichever event carries it
    (``created``, ``funds_withdrawn``, ``closed``…, each possibly delivered twice), the payment's
    totals (``dispute_fee``, ``dispute_fee_returned``) kept in step and one audit line written
    (``payments.dispute_fee_charged`` / ``payments.dispute_fee_returned``), all in one transaction
    under the payment's lock. A transaction with no fee records nothing. Returns how many rows
    this call recorded."""
    recorded = 0
    for txn in balance_transactions or []:
        if not isinstance(txn, dict) or not isinstance(txn.get("id"), str):
            logger.warning("payment %s: dispute %s balance transaction unreadable", payment_id, dispute_id)
            continue
        fee = int(txn.get("fee") or 0)
        if fee == 0:
            continue
        amount = (Decimal(fee) / 100).quantize(Decimal("0.01"))
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            if DisputeFee.objects.filter(balance_transaction_id=txn["id"]).exists():
                continue
            try:
                with transaction.atomic():
                    DisputeFee.objects.create(
                        payment=payment,
                        dispute_id=dispute_id[:255],
                        balance_transaction_id=txn["id"][:255],
                        amount=amount,
                        currency=str(txn.get("currency") or "eur")[:3],
                    )
            except IntegrityError:  # the same transaction on another payment: not ours to count
                logger.error("balance transaction %s already recorded on another payment", txn["id"])
                continue
            if amount > 0:
                Payment.objects.filter(pk=payment.pk).update(dispute_fee=F("dispute_fee") + amount)
                action = "payments.dispute_fee_charged"
            else:
                Payment.objects.filter(pk=payment.pk).update(
                    dispute_fee_returned=F("dispute_fee_returned") - amount
                )
                action = "payments.dispute_fee_returned"
            record(
                SYSTEM,
                action,
                payment,
                fee=str(abs(amount)),
                currency=str(txn.get("currency") or "eur"),
                dispute=dispute_id,
                balance_transaction=txn["id"],
            )
            recorded += 1
    return recorded
