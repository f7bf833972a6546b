"""Writes on dues of the current CPTS: joining, offline payments recorded by the team. Assumes the
connection is set to the CPTS's schema. Payments are settled by ``apps.payments`` (dues are one of
its registered payables, ``apps.dues.payable``); receipts are issued by workers after commit."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.log import record
from apps.members.models import Membership, Role
from apps.members.permissions import require_role
from apps.members.services import grant_role
from apps.payments import settlement
from apps.payments.card import opening_attempts_of
from apps.payments.models import OFFLINE_METHODS, Payment, PaymentMethod
from apps.payments.services import close_card_attempts

from .calendar import membership_year
from .models import Dues, DuesSettings, Tier

logger = logging.getLogger(__name__)


def join(*, actor, tier: Tier, eligibility_category: str, consent: bool, year: int | None = None) -> Dues:
    """``actor`` joins this CPTS (or renews): membership kept, one Dues row for the year, pending
    until paid (active at once on a free tier). Until then the member is a candidate.

    Raises ValidationError (French) when the tier is closed or not open to the category, when
    consent is missing, or when the year is already paid.
    """
    if not consent:
        raise ValidationError(_("Vous devez accepter les conditions d'adhésion."))
    if not tier.is_active or not tier.accepts(eligibility_category):
        raise ValidationError(_("Cette formule n'est pas ouverte à votre catégorie."))
    year = year or membership_year(DuesSettings.load())
    previous = Dues.objects.filter(membership__user=actor, year=year).first()
    # While the tier changes no card attempt is opened (another tab): what close_card_attempts
    # leaves pending is really being confirmed by the bank.
    with opening_attempts_of(dues=previous) if previous is not None else nullcontext():
        if previous is not None and (previous.tier_id != tier.pk or previous.amount != tier.price):
            # The browser holds the old attempts' client secrets: they are closed on Stripe (or
            # found paid), never only in our table, or a 3-D Secure prompt left open could still
            # charge them.
            close_card_attempts(dues=previous)
        return _join(actor, tier=tier, eligibility_category=eligibility_category, year=year)


def _join(actor, *, tier: Tier, eligibility_category: str, year: int) -> Dues:
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
                # Left open by close_card_attempts (no attempt is opened meanwhile): the bank is
                # confirming it; changing the amount now could make the member pay twice.
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
            activate(dues)
    return dues


def record_offline_payment(
    *, actor, dues: Dues, method: str, reference: str = "", paid_at=None, amount: Decimal | None = None
) -> Payment:
    """The team records a cheque, transfer or cash payment: the dues become active at once, the
    entry is written to the audit log (``payments.recorded_offline``: who, amount, method, year)
    and a worker issues and e-mails the receipt.

    A card attempt still open for these dues is cancelled on Stripe first, so the member cannot
    pay a second time. Refused (ValidationError, French, with the reason) when the dues are paid
    (a card payment may just have gone through: it is synced first) or when a card payment is
    being confirmed by the bank and cannot be cancelled.
    """
    require_role(actor, Role.TEAM)
    if method not in OFFLINE_METHODS:
        raise ValidationError(_("Moyen de paiement hors ligne inconnu."))
    # No card attempt is opened meanwhile (the member's « Régler » waits): what close_card_attempts
    # leaves pending is really being confirmed by the bank, as the refusal below says.
    with opening_attempts_of(dues=dues):
        close_card_attempts(dues=dues)
        return _record_offline(
            actor, dues, method=method, reference=reference, paid_at=paid_at, amount=amount
        )


def _record_offline(
    actor, dues: Dues, *, method: str, reference: str, paid_at, amount, tier: Tier | None = None
) -> Payment:
    """Record the offline payment on the locked dues row, after the card attempts were closed
    (never calls Stripe: no row stays locked while Stripe answers). ``tier``: the dues are set to
    that tier first (back-office entry), only once nothing else pays them."""
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
        if tier is not None and (locked.tier_id != tier.pk or locked.amount != tier.price):
            locked.tier, locked.amount = tier, tier.price
            locked.save(update_fields=["tier", "amount"])
        payment = Payment.objects.create(
            dues=locked,
            method=method,
            amount=amount if amount is not None else locked.amount,
            reference=reference,
            recorded_by=actor,
            status=Payment.Status.SUCCEEDED,
            paid_at=paid_at or timezone.now(),
        )
        activate(locked)
        # Money recorded by hand, with no bank to vouch for it: who entered what is kept.
        record(
            actor,
            "payments.recorded_offline",
            payment,
            amount=str(payment.amount),
            method=method,
            year=locked.year,
        )
        settlement.enqueue_receipt(payment)
    return payment


def record_manual_dues(
    *, actor, membership: Membership, tier: Tier, year: int, method: str, reference: str = ""
) -> Payment:
    """Team back-office: dues for ``year`` at ``tier`` plus their offline payment, in one go.
    Same guarantees and refusals as ``record_offline_payment``: card attempts still open for
    these dues are closed on Stripe first, outside any transaction and under the lock that stops
    the member opening another (what Stripe says — e.g. an attempt found paid — is recorded even
    when the entry is then refused, and no row is locked while Stripe answers)."""
    require_role(actor, Role.TEAM)
    if method not in OFFLINE_METHODS:
        raise ValidationError(_("Moyen de paiement hors ligne inconnu."))
    # The dues row first, committed on its own (pending, nothing paid): the lock below is keyed
    # by it, and a refused entry leaves at most an unpaid year the member could pay anyway.
    dues, _created = Dues.objects.get_or_create(
        membership=membership, year=year, defaults={"tier": tier, "amount": tier.price}
    )
    with opening_attempts_of(dues=dues):
        close_card_attempts(dues=dues)
        return _record_offline(
            actor, dues, method=method, reference=reference, paid_at=None, amount=None, tier=tier
        )


def activate(dues: Dues) -> None:
    """Dues paid in full (row locked by the caller): the member is à jour."""
    dues.status = Dues.Status.ACTIVE
    dues.activated_at = timezone.now()
    dues.save(update_fields=["status", "activated_at"])
