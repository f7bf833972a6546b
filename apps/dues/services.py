"""Writes on dues and payments of the current CPTS. Assumes the connection is set to the CPTS's
schema. Money state changes only here; receipts are issued by workers after commit."""

from __future__ import annotations

import logging
from decimal import Decimal

import stripe
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.members.models import Membership, Role
from apps.members.permissions import require_role
from apps.payments import registry
from apps.payments.models import OFFLINE_METHODS, Payment, PaymentMethod
from tenants.queue import enqueue_on_commit

from .calendar import membership_year
from .models import Dues, DuesSettings, Tier

logger = logging.getLogger(__name__)

# ``Payment.failure_reason`` of a succeeded payment whose amount or currency is not what it pays.
AMOUNT_MISMATCH = "amount_mismatch"
# ``Payment.failure_reason`` of a succeeded payment of dues already paid by another payment.
ALREADY_PAID = "already_paid"


def _enqueue_receipt(payment: Payment) -> None:
    enqueue_on_commit("dues.issue_receipt", connection.schema_name, payment.pk)


def join(*, actor, tier: Tier, eligibility_category: str, consent: bool, year: int | None = None) -> Dues:
    """``actor`` joins this CPTS (or renews): membership kept, one Dues row for the year, pending
    until paid (active at once on a free tier). Until then the member is a candidate.

    Raises ValidationError (French) when the tier is closed or not open to the category, when
    consent is missing, or when the year is already paid.
    """
    from apps.members.services import grant_role

    if not consent:
        raise ValidationError(_("Vous devez accepter les conditions d'adhésion."))
    if not tier.is_active or not tier.accepts(eligibility_category):
        raise ValidationError(_("Cette formule n'est pas ouverte à votre catégorie."))
    year = year or membership_year(DuesSettings.load())
    previous = Dues.objects.filter(membership__user=actor, year=year).first()
    if previous is not None and (previous.tier_id != tier.pk or previous.amount != tier.price):
        # The browser holds the old attempts' client secrets: they are closed on Stripe (or found
        # paid), never only in our table, or a 3-D Secure prompt left open could still charge them.
        close_card_attempts(previous)
    with transaction.atomic():
        membership = grant_role(user=actor, role=Role.MEMBER)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        membership.eligibility_category = eligibility_category
        membership.consent_at = timezone.now()
        membership.save(update_fields=["eligibility_category", "consent_at"])
        dues, created = Dues.objects.select_for_update().get_or_create(
            membership=membership, year=year, defaults={"tier": tier, "amount": tier.price}
        )
        if not created:
            if dues.status == Dues.Status.ACTIVE:
                raise ValidationError(
                    _("Votre cotisation %(year)s est déjà réglée.") % {"year": year}, code="already_paid"
                )
            if (dues.tier_id != tier.pk or dues.amount != tier.price) and dues.payments.filter(
                status=Payment.Status.PENDING
            ).exists():
                # Left open by close_card_attempts: the bank is confirming it (or it was opened
                # meanwhile); changing the amount now could make the member pay twice.
                raise ValidationError(
                    _(
                        "Un paiement par carte de votre cotisation est en cours de confirmation par votre "
                        "banque : attendez son issue (quelques minutes) avant de changer de formule."
                    ),
                    code="payment_in_progress",
                )
            dues.tier, dues.amount, dues.status = tier, tier.price, Dues.Status.PENDING
            dues.save(update_fields=["tier", "amount", "status"])
        if tier.price == 0:
            # A free tier has nothing to pay: the member is à jour at once (apps.members.standing).
            _activate(dues)
    return dues


def record_offline_payment(
    *, actor, dues: Dues, method: str, reference: str = "", paid_at=None, amount: Decimal | None = None
) -> Payment:
    """The team records a cheque, transfer or cash payment: the dues become active at once and a
    worker issues and e-mails the receipt.

    A card attempt still open for these dues is cancelled on Stripe first, so the member cannot
    pay a second time. Refused (ValidationError, French, with the reason) when the dues are paid
    (a card payment may just have gone through: it is synced first) or when a card payment is
    being confirmed by the bank and cannot be cancelled.
    """
    require_role(actor, Role.TEAM)
    if method not in OFFLINE_METHODS:
        raise ValidationError(_("Moyen de paiement hors ligne inconnu."))
    close_card_attempts(dues)
    with transaction.atomic():
        locked = Dues.objects.select_for_update().get(pk=dues.pk)
        if locked.status == Dues.Status.ACTIVE:
            if locked.payments.filter(status=Payment.Status.SUCCEEDED, method=PaymentMethod.CARD).exists():
                raise ValidationError(
                    _(
                        "Cette cotisation est déjà réglée : l'adhérent l'a payée par carte. Rien n'a été enregistré."
                    )
                )
            raise ValidationError(_("Cette cotisation est déjà réglée."))
        if locked.payments.filter(status=Payment.Status.PENDING).exists():
            raise ValidationError(
                _(
                    "Un paiement par carte de l'adhérent est en cours de confirmation par sa banque : "
                    "attendez son issue (quelques minutes) avant d'enregistrer un autre paiement."
                )
            )
        payment = Payment.objects.create(
            dues=locked,
            method=method,
            amount=amount if amount is not None else locked.amount,
            reference=reference,
            recorded_by=actor,
            status=Payment.Status.SUCCEEDED,
            paid_at=paid_at or timezone.now(),
        )
        _activate(locked)
        _enqueue_receipt(payment)
    return payment


def close_card_attempts(dues: Dues) -> None:
    """Cancel on Stripe the card attempts still open for ``dues`` (each synced with Stripe: one
    that was in fact paid is recorded as paid). Run outside the caller's transaction so what
    Stripe says is kept even if the caller then refuses. An attempt being processed stays
    pending. Raises ValidationError (French) when Stripe cannot be reached."""
    from . import payments

    open_attempts = Payment.objects.filter(dues_id=dues.pk, status=Payment.Status.PENDING).exclude(
        method__in=OFFLINE_METHODS
    )
    for payment in open_attempts:
        if not payment.stripe_payment_intent_id:  # its PaymentIntent was never created
            mark_payment_failed(payment.pk, reason="annulé", cancelled=True)
            continue
        try:
            payments.cancel_on_stripe(payment)
        except stripe.StripeError as error:
            logger.warning("card attempt %s not cancelled: %s", payment.pk, error)
            raise ValidationError(
                _(
                    "Le paiement par carte en cours de l'adhérent n'a pas pu être annulé chez Stripe : "
                    "réessayez dans quelques minutes."
                )
            ) from error


def record_manual_dues(
    *, actor, membership: Membership, tier: Tier, year: int, method: str, reference: str = ""
) -> Payment:
    """Team back-office: dues for ``year`` plus its offline payment, in one go (card attempts
    still open for them are cancelled first, see ``record_offline_payment``)."""
    require_role(actor, Role.TEAM)
    existing = Dues.objects.filter(membership=membership, year=year).first()
    if existing is not None:
        close_card_attempts(existing)
    with transaction.atomic():
        dues, _created = Dues.objects.get_or_create(
            membership=membership, year=year, defaults={"tier": tier, "amount": tier.price}
        )
        if dues.status != Dues.Status.ACTIVE and (dues.tier_id != tier.pk or dues.amount != tier.price):
            dues.tier, dues.amount = tier, tier.price
            dues.save(update_fields=["tier", "amount"])
        return record_offline_payment(actor=actor, dues=dues, method=method, reference=reference)


def _activate(dues: Dues) -> None:
    dues.status = Dues.Status.ACTIVE
    dues.activated_at = timezone.now()
    dues.save(update_fields=["status", "activated_at"])


def _charged_as_asked(payment: Payment, charged: tuple[int, str] | None) -> bool:
    """Stripe's (amount in cents, currency) of a card payment is what we asked for it."""
    from .payments import _cents

    if charged is None:  # not read from Stripe (offline payments)
        return True
    amount, currency = charged
    return amount == _cents(payment.amount) and str(currency or "").lower() == "eur"


def mark_payment_succeeded(payment_id: int, *, paid_at=None, charged: tuple[int, str] | None = None) -> bool:
    """A payment confirmed by Stripe (webhook or reconciliation). True when this call changed it.

    Dispatches to what it pays: dues become active; an event registration is confirmed
    (the ``registration`` payable's ``on_paid`` hook, ``apps.payments.registry``). Idempotent: a payment already succeeded
    or refunded is left alone. ``charged`` is what Stripe says was paid (cents, currency): when
    it, or our payment's amount, is not what the dues or the seat cost now (a PaymentIntent
    changed outside our flow, an attempt at a former tier or price paid from the browser), the
    money is recorded as received (``failure_reason`` AMOUNT_MISMATCH) but settles nothing: the
    seat's payment is refunded by a worker; dues stay unpaid for the team to refund.
    """
    seat = registry.payable("registration")
    with transaction.atomic():
        # Same lock order as every change of the seat: its own locks (the event row) first.
        seat.lock_before_payment(payment_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
            return False
        dues = Dues.objects.select_for_update().get(pk=payment.dues_id) if payment.dues_id else None
        expected = dues.amount if dues is not None else payment.registration.event.price
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
        if dues is not None:
            if dues.status == Dues.Status.ACTIVE and in_full:
                # Paid twice (e.g. a cheque recorded while this card payment was on its way):
                # kept as received, flagged for the team to refund.
                logger.warning("payment %s: dues %s were already paid", payment.pk, dues.pk)
                payment.failure_reason = ALREADY_PAID
                payment.save(update_fields=["failure_reason"])
            elif in_full:
                _activate(dues)
        else:
            seat.on_paid(payment)
        _enqueue_receipt(payment)
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


def mark_payment_refunded(payment_id: int, *, release_seat: bool = False) -> bool:
    """Record a refund (ours or seen on Stripe) and have a worker issue the credit note.

    ``release_seat`` (a refund seen on Stripe, e.g. made from the CPTS's dashboard): an event seat
    left with no paid payment is released to the waiting list (our own refunds cancel the
    registration themselves)."""
    seat = registry.payable("registration")
    with transaction.atomic():
        # Same lock order as every change of the seat: its own locks (the event row) first.
        seat_locked = release_seat and seat.lock_before_payment(payment_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != Payment.Status.SUCCEEDED:
            return False
        payment.status = Payment.Status.REFUNDED
        payment.refunded_at = timezone.now()
        payment.save(update_fields=["status", "refunded_at"])
        if payment.dues_id:
            dues = Dues.objects.select_for_update().get(pk=payment.dues_id)
            # Dues the refunded payment never settled (wrong amount) still wait for their payment.
            if (
                dues.status == Dues.Status.ACTIVE
                and not dues.payments.filter(status=Payment.Status.SUCCEEDED).exists()
            ):
                dues.status = Dues.Status.REFUNDED
                dues.save(update_fields=["status"])
        # Our refunds of an event registration cancel it themselves (apps.events.services).
        if seat_locked:
            seat.on_refunded(payment)
        enqueue_on_commit("dues.issue_credit_note", connection.schema_name, payment.pk)
    return True


def _require_refund_right(actor, payment: Payment) -> None:
    """The team refunds any payment; the holder of an event registration has their own seat's
    payment refunded when they give the seat up (``apps.events.services.cancel_registration``,
    which cancels the registration right after). Nobody else, dues included."""
    if payment.registration_id is not None and actor is not None:
        if payment.registration.user_id == actor.pk:
            return
    require_role(actor, Role.TEAM)


def refund_payment(*, actor, payment: Payment) -> Payment:
    """Refund a payment (on Stripe for card payments), by the team or, for a registration's seat,
    by its holder. Raises PermissionDenied (anyone else) or ValidationError."""
    from . import payments

    _require_refund_right(actor, payment)
    if payment.status != Payment.Status.SUCCEEDED:
        raise ValidationError(_("Seul un paiement réglé peut être remboursé."))
    if payment.method in (PaymentMethod.CARD, PaymentMethod.SEPA):
        payments.refund_on_stripe(payment)
    mark_payment_refunded(payment.pk)
    payment.refresh_from_db()
    return payment


def resend_receipt(*, actor, payment: Payment) -> None:
    """The team e-mails a payment's last receipt again. Raises PermissionDenied or ValidationError."""
    require_role(actor, Role.TEAM)
    receipt = payment.receipts.order_by("-issued_at").first()
    if receipt is None:
        raise ValidationError(_("Aucun reçu n'a encore été émis pour ce paiement."))
    enqueue_on_commit("dues.send_receipt", connection.schema_name, receipt.pk, True)
