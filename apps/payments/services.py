"""Writes on payments asked by people: refunds, a receipt sent again, card attempts closed before
something else pays the payable. Each checks its actor (``require_role``)."""

from __future__ import annotations

import logging

import stripe
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from apps.members.models import Role
from apps.members.permissions import require_role
from tenants.queue import enqueue_on_commit

from . import card, registry, settlement
from .models import OFFLINE_METHODS, Payment, PaymentMethod

logger = logging.getLogger(__name__)


def close_card_attempts(*, members_only: bool = False, **payable) -> None:
    """Cancel on Stripe the card attempts still open for one payable (``dues=…`` or
    ``registration=…``), each synced with Stripe: one that was in fact paid is recorded as paid.
    Run outside the caller's transaction so what Stripe says is kept even if the caller then
    refuses. An attempt being processed stays pending. Raises ValidationError (French) when
    Stripe cannot be reached. ``members_only`` leaves the automatic renewal's own (off-session)
    attempt alone: the renewal closes the member's attempts before charging, not its own."""
    hooks, obj = registry.one_payable(payable)
    open_attempts = Payment.objects.filter(
        **{f"{hooks.field}_id": obj.pk}, status=Payment.Status.PENDING
    ).exclude(method__in=OFFLINE_METHODS)
    if members_only:
        open_attempts = open_attempts.filter(off_session=False)
    for payment in open_attempts:
        if not payment.stripe_payment_intent_id:  # its PaymentIntent was never created
            settlement.mark_payment_failed(payment.pk, reason="annulé", cancelled=True)
            continue
        try:
            card.cancel_on_stripe(payment)
        except stripe.StripeError as error:
            logger.warning("card attempt %s not cancelled: %s", payment.pk, error)
            raise ValidationError(
                _(
                    "Le paiement par carte en cours de l'adhérent n'a pas pu être annulé chez Stripe : "
                    "réessayez dans quelques minutes."
                )
            ) from error


def _require_refund_right(actor, payment: Payment) -> None:
    """The team refunds any payment; the payer of a payable that allows it (an event seat given
    up, ``apps.events.services.cancel_registration``, which cancels the registration right
    after) has their own payment refunded. Nobody else, dues included."""
    hooks, obj = registry.payable_of(payment)
    if hooks.payer_may_refund and actor is not None and hooks.payer_id(obj) == actor.pk:
        return
    require_role(actor, Role.TEAM)


def refund_payment(*, actor, payment: Payment) -> Payment:
    """Refund a payment (on Stripe for card payments), by the team or, where the payable allows
    it, by its payer. Raises PermissionDenied (anyone else) or ValidationError."""
    _require_refund_right(actor, payment)
    if payment.status != Payment.Status.SUCCEEDED:
        raise ValidationError(_("Seul un paiement réglé peut être remboursé."))
    if payment.method in (PaymentMethod.CARD, PaymentMethod.SEPA):
        card.refund_on_stripe(payment)
    settlement.mark_payment_refunded(payment.pk, actor=actor)
    payment.refresh_from_db()
    return payment


def resend_receipt(*, actor, payment: Payment) -> None:
    """The team e-mails a payment's last receipt again. Raises PermissionDenied or ValidationError."""
    require_role(actor, Role.TEAM)
    receipt = payment.receipts.order_by("-issued_at").first()
    if receipt is None:
        raise ValidationError(_("Aucun reçu n'a encore été émis pour ce paiement."))
    enqueue_on_commit("dues.send_receipt", connection.schema_name, receipt.pk, True)
