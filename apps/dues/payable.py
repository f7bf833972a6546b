"""Dues as a payable of ``apps.payments`` (registered in ``DuesConfig.ready``): what paying,
refunding and a receipt mean for a year's dues. Every hook runs in the caller's transaction."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.payments import registry, settlement
from apps.payments.models import Payment

from .models import Dues, DuesSettings
from .services import activate

logger = logging.getLogger(__name__)


def payer_id(dues: Dues) -> int:
    return dues.membership.user_id


def refusal(dues: Dues) -> str:
    if dues.status == Dues.Status.ACTIVE:
        return _("Cette cotisation est déjà réglée.")
    return ""


def lock_for_card(dues: Dues) -> tuple[Dues, Decimal]:
    locked = Dues.objects.select_for_update().get(pk=dues.pk)
    return locked, locked.amount


def refusal_to_confirm(payment: Payment) -> str:
    # Dues paid meanwhile (a cheque) had their card attempts closed on Stripe first
    # (record_offline_payment); a card payment landing anyway is flagged ALREADY_PAID.
    return ""


def metadata(dues: Dues) -> dict:
    return {"dues": str(dues.pk)}


def lock_before_payment(payment_id: int) -> bool:
    # Dues are locked after their payment row (amount_due), so nothing is taken before it.
    return Payment.objects.filter(pk=payment_id, dues__isnull=False).exists()


def amount_due(payment: Payment) -> Decimal:
    return Dues.objects.select_for_update().get(pk=payment.dues_id).amount


def on_paid(payment: Payment) -> None:
    """Dues paid in full become active; paid twice (e.g. a cheque recorded while this card
    payment was on its way), the payment is kept as received and flagged for the team to refund."""
    if payment.failure_reason == settlement.AMOUNT_MISMATCH:
        return
    dues = Dues.objects.select_for_update().get(pk=payment.dues_id)
    if dues.status == Dues.Status.ACTIVE:
        logger.warning("payment %s: dues %s were already paid", payment.pk, dues.pk)
        payment.failure_reason = settlement.ALREADY_PAID
        payment.save(update_fields=["failure_reason"])
        return
    activate(dues)


def on_refunded(payment: Payment, *, seen_on_stripe: bool) -> None:
    """Dues left with no paid payment are refunded (the member is no longer à jour). Dues the
    refunded payment never settled (wrong amount) still wait for their payment."""
    dues = Dues.objects.select_for_update().get(pk=payment.dues_id)
    if (
        dues.status == Dues.Status.ACTIVE
        and not dues.payments.filter(status=Payment.Status.SUCCEEDED).exists()
    ):
        dues.status = Dues.Status.REFUNDED
        dues.save(update_fields=["status"])


def receipt_content(payment: Payment) -> dict:
    dues = payment.dues
    return {"period": f"du 01/01/{dues.year} au 31/12/{dues.year}", "year": dues.year, "tier": dues.tier.name}


def team_path(dues: Dues) -> str:
    return reverse("dues:team_member", args=[dues.membership_id])


DUES = registry.Payable(
    field="dues",
    payer_id=payer_id,
    refusal=refusal,
    lock_for_card=lock_for_card,
    refusal_to_confirm=refusal_to_confirm,
    metadata=metadata,
    lock_before_payment=lock_before_payment,
    amount_due=amount_due,
    on_paid=on_paid,
    on_refunded=on_refunded,
    receipt_content=receipt_content,
    team_path=team_path,
)


def register() -> None:
    """Dues are paid through ``apps.payments``; the CPTS's dues settings say who issues receipts."""
    registry.register(DUES)
    registry.register_issuer(DuesSettings.load)
