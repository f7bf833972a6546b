"""Automatic renewal with a saved card, with the member's consent (CPTS.md §3, issue 3 item 6).

1. The member saves a card: our server creates a Customer and a SetupIntent (usage off_session) on
   the CPTS's Stripe account; Stripe.js confirms it in the browser (3-D Secure if asked); our
   server reads the SetupIntent back and keeps its payment method, with the consent time.
2. Notice: the reminders before 1 January tell these members the amount and the date of the debit.
3. On 1 January a campaign walks them: Dues of the new year + an off-session PaymentIntent
   (idempotency key from the dues id). A refusal (declined, authentication required) is recorded
   and the member is e-mailed a link to renew online. Dues become active through ``sync_payment``
   (the PaymentIntent read back from Stripe), as for every card payment.
SEPA mandates use the same flow with ``payment_method_types=["sepa_debit"]``; only cards are
offered in the interface for now.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import stripe
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.members.models import Membership
from apps.payments import card, settlement
from apps.payments.models import Payment, PaymentMethod
from apps.payments.services import close_card_attempts
from apps.stripe_gateway import client
from apps.stripe_gateway.connect import card_payments_available
from apps.stripe_gateway.models import StripeRoute
from tenants.queue import enqueue_on_commit
from tenants.selectors import current_community

from .models import Dues, ReminderCampaign, Tier
from .services import activate

logger = logging.getLogger(__name__)


def start_card_setup(*, actor, membership: Membership) -> str:
    """A SetupIntent for ``actor``'s own membership; returns its client secret for Stripe.js."""
    community = current_community()
    if membership.user_id != actor.pk:
        raise PermissionError("card of another member")
    if not card_payments_available(community):
        raise ValidationError(_("Le paiement par carte n'est pas encore disponible pour cette CPTS."))
    opts = client.options(community.stripe_account_id)
    if not membership.stripe_customer_id:
        customer = stripe.Customer.create(
            email=actor.email,
            name=actor.get_full_name() or actor.email,
            metadata={"cpts": community.schema_name, "membership": str(membership.pk)},
            **client.options(
                community.stripe_account_id,
                idempotency_key=f"customer-{community.schema_name}-{membership.pk}",
            ),
        )
        with transaction.atomic():
            StripeRoute.objects.get_or_create(stripe_id=customer.id, defaults={"community": community})
            Membership.objects.filter(pk=membership.pk, stripe_customer_id="").update(
                stripe_customer_id=customer.id
            )
        membership.refresh_from_db()
    setup = stripe.SetupIntent.create(
        customer=membership.stripe_customer_id,
        usage="off_session",
        payment_method_types=["card"],
        metadata={"cpts": community.schema_name, "membership": str(membership.pk)},
        **opts,
    )
    StripeRoute.objects.get_or_create(stripe_id=setup.id, defaults={"community": community})
    return setup.client_secret


def complete_card_setup(*, actor, membership: Membership, setup_intent_id: str) -> Membership:
    """Keep the card of a SetupIntent that Stripe says succeeded for this member's customer."""
    community = current_community()
    if membership.user_id != actor.pk:
        raise PermissionError("card of another member")
    if not StripeRoute.objects.filter(stripe_id=setup_intent_id, community=community).exists():
        raise ValidationError(_("Enregistrement de carte inconnu."))
    setup = client.as_dict(
        stripe.SetupIntent.retrieve(setup_intent_id, **client.options(community.stripe_account_id))
    )
    if setup.get("status") != "succeeded" or setup.get("customer") != membership.stripe_customer_id:
        raise ValidationError(_("La carte n'a pas pu être enregistrée."))
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        locked.stripe_payment_method_id = setup["payment_method"]
        locked.auto_renew = True
        locked.auto_renew_consent_at = timezone.now()
        locked.save(update_fields=["stripe_payment_method_id", "auto_renew", "auto_renew_consent_at"])
    return locked


# A payment that never reached Stripe: no PaymentIntent recorded.
_WITHOUT_INTENT = Q(stripe_payment_intent_id__isnull=True) | Q(stripe_payment_intent_id="")


def disable(*, actor, membership: Membership) -> Membership:
    if membership.user_id != actor.pk:
        raise PermissionError("card of another member")
    with transaction.atomic():
        Membership.objects.select_for_update().filter(pk=membership.pk).update(
            auto_renew=False, auto_renew_consent_at=None, stripe_payment_method_id=""
        )
        # A renewal Stripe could not be reached for is not tried again once the member says no.
        Payment.objects.filter(
            _WITHOUT_INTENT,
            dues__membership_id=membership.pk,
            off_session=True,
            status=Payment.Status.PENDING,
        ).update(status=Payment.Status.CANCELLED, failure_reason="renouvellement automatique désactivé")
    membership.refresh_from_db()
    return membership


def candidates(year: int):
    """Members with automatic renewal and a saved card who paid an earlier year, not ``year``."""
    paid = Dues.objects.filter(year=year, status=Dues.Status.ACTIVE).values("membership_id")
    earlier = Dues.objects.filter(year__lt=year, status__in=[Dues.Status.ACTIVE, Dues.Status.EXPIRED]).values(
        "membership_id"
    )
    return (
        Membership.objects.filter(is_active=True, auto_renew=True, pk__in=earlier)
        .exclude(stripe_payment_method_id="")
        .exclude(pk__in=paid)
        .order_by("pk")
    )


def tier_for(membership: Membership, year: int) -> Tier | None:
    last = (
        Dues.objects.filter(membership=membership, year__lt=year)
        .select_related("tier")
        .order_by("-year")
        .first()
    )
    if last is not None and last.tier.is_active:
        return last.tier
    return Tier.objects.filter(is_active=True).first()


def charge(membership: Membership, year: int) -> str:
    """Charge one member's renewal once (claimed by an off-session Payment row on the Dues).

    Dues of 0 € (a free tier) are settled as a free join is (``services.join``): active at once,
    with no payment, no Stripe call and no receipt number used.

    Never beside the member's own card attempt: under ``opening_attempts_of`` (no attempt is
    opened meanwhile), the attempts left open are closed first (an unanswered 3-D Secure prompt is
    cancelled on Stripe, one paid in fact is recorded); one still being confirmed by the bank
    makes the renewal wait (``skipped``: the next run sees the dues paid, or tries again).

    Returns ``succeeded``, ``failed``, ``skipped``.
    """
    tier = tier_for(membership, year)
    if tier is None:
        return "skipped"
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if not (locked.is_active and locked.auto_renew and locked.stripe_payment_method_id):
            return "skipped"
        dues, _created = Dues.objects.get_or_create(
            membership=locked, year=year, defaults={"tier": tier, "amount": tier.price}
        )
        if dues.status == Dues.Status.ACTIVE:
            return "skipped"
    # Held until the charge is known: the member's « Régler » waits for it, then finds it paid.
    with card.opening_attempts_of(dues=dues):
        try:
            close_card_attempts(dues=dues, members_only=True)
        except ValidationError as error:  # Stripe out of reach: the next run tries again
            logger.warning("renewal of membership %s waits: %s", membership.pk, error.messages[0])
            return "skipped"
        return _charge(membership, year, tier)


def _charge(membership: Membership, year: int, tier: Tier) -> str:
    community = current_community()
    with transaction.atomic():
        # The member may have turned automatic renewal off since the list was read: decide on the
        # locked row (``disable`` takes the same lock), and charge the card it holds now.
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if not (membership.is_active and membership.auto_renew and membership.stripe_payment_method_id):
            return "skipped"
        dues, _created = Dues.objects.select_for_update().get_or_create(
            membership=membership, year=year, defaults={"tier": tier, "amount": tier.price}
        )
        if dues.status == Dues.Status.ACTIVE:
            return "skipped"
        if dues.payments.filter(
            status=Payment.Status.PENDING, method=PaymentMethod.CARD, off_session=False
        ).exists():
            return "skipped"  # the member's own card payment is being confirmed by the bank
        if dues.amount == 0:
            # Nothing to charge (Stripe refuses a 0 € PaymentIntent): renewed like a free join.
            activate(dues)
            return "succeeded"
        payment = dues.payments.filter(off_session=True).first()
        if payment is not None and (
            payment.stripe_payment_intent_id or payment.status != Payment.Status.PENDING
        ):
            return "skipped"  # already charged (or refused) once: never twice
        # A payment left without PaymentIntent (Stripe unreachable last time) is retried with the
        # same idempotency key, so Stripe cannot create a second charge.
        payment = payment or Payment.objects.create(
            dues=dues,
            method=PaymentMethod.CARD,
            amount=dues.amount,
            platform_fee=card.platform_fee(dues.amount),
            stripe_account_id=community.stripe_account_id,
            off_session=True,
        )
    params = {
        "amount": settlement.cents(payment.amount),
        "currency": "eur",
        "customer": membership.stripe_customer_id,
        "payment_method": membership.stripe_payment_method_id,
        "payment_method_types": ["card"],
        "off_session": True,
        "confirm": True,
        "metadata": {"cpts": community.schema_name, "dues": str(dues.pk), "payment": str(payment.pk)},
    }
    fee = settlement.cents(payment.platform_fee)
    if fee and not client.is_embedded():
        params["application_fee_amount"] = fee
    opts = client.options(
        payment.stripe_account_id, idempotency_key=f"auto-{community.schema_name}-{dues.pk}"
    )
    try:
        intent = client.as_dict(stripe.PaymentIntent.create(**params, **opts))
    except stripe.CardError as error:
        intent_id = (getattr(error, "error", None) and getattr(error.error, "payment_intent", None)) or None
        if isinstance(intent_id, dict):
            intent_id = intent_id.get("id")
        if intent_id:
            _record_intent(payment, intent_id, community)
        settlement.mark_payment_failed(payment.pk, reason=error.code or "card_declined")
        return "failed"
    _record_intent(payment, intent["id"], community)
    if intent["status"] == "requires_action":
        # Off session nobody can authenticate: Stripe's authentication_required. Cancel it.
        stripe.PaymentIntent.cancel(intent["id"], **client.options(payment.stripe_account_id))
        settlement.mark_payment_failed(payment.pk, reason="authentication_required")
        return "failed"
    outcome = card.sync_payment(payment.pk, intent=intent)
    return "succeeded" if outcome == "succeeded" else "failed"


def _record_intent(payment: Payment, intent_id: str, community) -> None:
    with transaction.atomic():
        StripeRoute.objects.get_or_create(stripe_id=intent_id, defaults={"community": community})
        Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=intent_id)
    payment.stripe_payment_intent_id = intent_id


# Stripe keeps an idempotency key for 24 hours: a charge is retried with the same key only within
# this window, so that a charge Stripe made before the connection broke is returned, never repeated.
RETRY_WINDOW = timedelta(hours=23)
_TRANSIENT = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def _charge_one(membership: Membership, year: int, on_failure, outcome: dict[str, int]) -> None:
    try:
        result = charge(membership, year)
    except _TRANSIENT as error:  # Stripe out of reach: left pending, retried (``retry_unreached``)
        logger.warning("automatic renewal of membership %s not reached Stripe: %s", membership.pk, error)
        result = "error"
    except stripe.StripeError as error:  # refused for good (card removed on Stripe, bad request…)
        logger.warning("automatic renewal of membership %s failed: %s", membership.pk, error)
        _give_up(membership, year, reason=(getattr(error, "code", None) or "stripe_error"))
        result = "failed"
    if result == "failed":
        on_failure(membership, year)
    outcome[result] = outcome.get(result, 0) + 1


def _give_up(membership: Membership, year: int, *, reason: str) -> None:
    for payment_id in (
        _unreached_payments(year).filter(dues__membership_id=membership.pk).values_list("pk", flat=True)
    ):
        settlement.mark_payment_failed(payment_id, reason=reason)


def _unreached_payments(year: int):
    return Payment.objects.filter(
        _WITHOUT_INTENT,
        off_session=True,
        status=Payment.Status.PENDING,
        dues__year=year,
    ).exclude(dues__status=Dues.Status.ACTIVE)


def unreached(year: int):
    """Members whose automatic renewal for ``year`` never reached Stripe (unreachable on 1 January):
    their off-session payment is still pending, without a PaymentIntent."""
    waiting = _unreached_payments(year).values("dues__membership_id")
    return (
        Membership.objects.filter(pk__in=waiting, is_active=True, auto_renew=True)
        .exclude(stripe_payment_method_id="")
        .order_by("pk")
    )


def queue_retry_of_unreached(year: int) -> bool:
    """Queue ``dues.retry_auto_renewals`` for ``year`` while some renewals never reached Stripe
    (run nightly by the renewals and every 15 minutes by the reconciliation). True if queued."""
    if not unreached(year).exists():
        return False
    enqueue_on_commit("dues.retry_auto_renewals", connection.schema_name, year)
    return True


def retry_unreached(year: int, on_failure) -> dict[str, int]:
    """Charge again the renewals Stripe never answered. ``charge`` reuses the pending payment and
    its idempotency key, so a charge Stripe did make before the connection broke is returned by
    Stripe, not made twice; hence only within RETRY_WINDOW of the first attempt. Past it, the
    payment fails and the member gets the link to renew online."""
    outcome: dict[str, int] = {}
    too_old = timezone.now() - RETRY_WINDOW
    for membership in unreached(year).select_related("user"):
        first = (
            _unreached_payments(year).filter(dues__membership_id=membership.pk).order_by("created_at").first()
        )
        if first is not None and first.created_at < too_old:
            _give_up(membership, year, reason="stripe_unreachable")
            on_failure(membership, year)
            outcome["failed"] = outcome.get("failed", 0) + 1
            continue
        _charge_one(membership, year, on_failure, outcome)
    return outcome


def run_campaign(campaign_id: int, on_failure) -> dict[str, int]:
    """Walk the automatic renewals of a campaign (cursor on the membership id). Idempotent.
    Members Stripe could not be reached for are charged again by ``retry_unreached``."""
    outcome: dict[str, int] = {}
    while True:
        campaign = ReminderCampaign.objects.filter(pk=campaign_id, finished_at__isnull=True).first()
        if campaign is None:
            return outcome
        batch = list(
            candidates(campaign.year).filter(pk__gt=campaign.last_membership_id).select_related("user")[:50]
        )
        if not batch:
            ReminderCampaign.objects.filter(pk=campaign_id).update(finished_at=timezone.now())
            return outcome
        for membership in batch:
            _charge_one(membership, campaign.year, on_failure, outcome)
        ReminderCampaign.objects.filter(pk=campaign_id, last_membership_id__lt=batch[-1].pk).update(
            last_membership_id=batch[-1].pk
        )
