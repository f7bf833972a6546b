"""Card payments on the CPTS's own Stripe account (Connect direct charges), for any registered
payable (dues, a seat at a paid event: ``apps.payments.registry``); sync, reconciliation, refunds on
Stripe and the handling of Stripe events.

Flow (docs/payments.md): ``start_card_payment`` creates a PaymentIntent on the CPTS's account
(idempotency key from our ids) and records its id in the public routing table; the page
collects the card with Stripe.js and ``confirm_card_payment`` confirms it on the server
(Stripe's "finalize on the server" flow), the browser finishing 3-D Secure with Stripe.js when
asked. The payable is settled (dues active, a seat confirmed) only in ``sync_payment``, run by the webhook
task or by the periodic reconciliation — both re-read the PaymentIntent from Stripe, so the order of events and forged
event contents do not matter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.stripe_gateway import client
from apps.stripe_gateway.connect import card_payments_available
from apps.stripe_gateway.models import StripeRoute, WebhookEvent
from apps.stripe_gateway.webhooks import event_time
from tenants.models import Community
from tenants.queue import enqueue_on_commit
from tenants.selectors import current_community

from . import mails, registry, settlement
from .models import EMAIL_SUPPRESSED, Payment, PaymentMethod, Receipt

logger = logging.getLogger(__name__)

# An open PaymentIntent the page may confirm with a new card. Not ``requires_action``: a 3-D Secure
# prompt left unanswered is cancelled first (``_close_stale_attempt``), so the abandoned prompt can
# never be completed beside the new attempt; nor one carrying ``last_payment_error`` (failed).
REUSABLE_INTENT_STATUSES = {"requires_payment_method", "requires_confirmation"}
CANCELLABLE_INTENT_STATUSES = {"requires_payment_method", "requires_confirmation", "requires_action"}


def platform_fee(amount: Decimal) -> Decimal:
    percent = registry.issuer().platform_fee_percent
    return (amount * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class CardPaymentUnavailable(Exception):
    pass


class PaymentInProgress(Exception):
    """The open PaymentIntent is already paid or processing: show its status, do not charge."""

    def __init__(self, payment: Payment) -> None:
        super().__init__(payment.pk)
        self.payment = payment


def _payable_checks(*, actor, payable: dict) -> tuple[registry.Payable, Any]:
    """The hooks and the object of the actor's own payable (``{"dues": …}`` or
    ``{"registration": …}``); refuses what cannot be paid (PermissionError for someone else's,
    CardPaymentUnavailable otherwise)."""
    hooks, obj = registry.one_payable(payable)
    if hooks.payer_id(obj) != actor.pk:
        raise PermissionError("payable of another person")
    refusal = hooks.refusal(obj)
    if refusal:
        raise CardPaymentUnavailable(refusal)
    return hooks, obj


def _metadata(community: Community, hooks: registry.Payable, obj, payment: Payment) -> dict:
    return {"cpts": community.schema_name, "payment": str(payment.pk), **hooks.metadata(obj)}


@contextmanager
def opening_attempts_of(**payable) -> Iterator[None]:
    """Hold the right to open card attempts for one payable (``dues=…`` or ``registration=…``):
    while inside, nobody else opens one (``start_card_payment`` takes it too), across requests,
    workers and servers. A PostgreSQL advisory lock keyed by the CPTS, the payable's field and id;
    held to the end of the caller's transaction if there is one (so what is written under it is
    committed before the next holder reads), otherwise released on leaving."""
    hooks, obj = registry.one_payable(payable)
    key = [f"{connection.schema_name}:payments.card:{hooks.field}", obj.pk]
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", key)
            yield
            return
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s), %s)", key)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)", key)


def start_card_payment(*, actor, **payable) -> Payment:
    """A pending card payment with its PaymentIntent for one payable (``dues=…`` or
    ``registration=…``, a field registered in ``apps.payments.registry``); an open attempt for
    the same amount is reused.

    Finding, closing and opening attempts happen under ``opening_attempts_of``: two requests at
    once (two tabs) get the same attempt, never two confirmable PaymentIntents."""
    community = current_community()
    if not card_payments_available(community):
        raise CardPaymentUnavailable(_("Le paiement par carte n'est pas encore disponible pour cette CPTS."))
    hooks, obj = _payable_checks(actor=actor, payable=payable)
    with opening_attempts_of(**{hooks.field: obj}):
        return _open_attempt(community, hooks, obj)


def _open_attempt(community: Community, hooks: registry.Payable, obj) -> Payment:
    with transaction.atomic():
        obj, amount = hooks.lock_for_card(obj)
        refusal = hooks.refusal(obj)
        if refusal:
            raise CardPaymentUnavailable(refusal)
        payable = {hooks.field: obj}
        renewal = Payment.objects.filter(
            **payable, status=Payment.Status.PENDING, off_session=True, stripe_payment_intent_id__isnull=False
        ).first()
        if renewal is not None:
            # The automatic renewal charged the saved card; the bank has not answered yet. (One
            # that never reached Stripe does not stop the member: the renewal then finds it paid.)
            raise PaymentInProgress(renewal)
        payment = (
            # Never the automatic renewal's own attempt: two PaymentIntents on one row would hide one.
            Payment.objects.filter(
                **payable,
                method=PaymentMethod.CARD,
                status=Payment.Status.PENDING,
                amount=amount,
                off_session=False,
            )
            .order_by("-created_at")
            .first()
        )
        if payment is None:
            payment = Payment.objects.create(
                **payable,
                method=PaymentMethod.CARD,
                amount=amount,
                platform_fee=platform_fee(amount),
                stripe_account_id=community.stripe_account_id,
            )
    if payment.stripe_payment_intent_id:
        intent = retrieve_intent(payment)
        if _reusable(intent):
            return payment
        if intent["status"] in ("processing", "succeeded"):
            # Paid (or being paid) already; its webhook is on the way: never charge twice.
            raise PaymentInProgress(payment)
        _close_stale_attempt(payment, intent)
        with transaction.atomic():
            # Asked again on the locked row: the payable may have been paid or changed meanwhile.
            obj, amount = hooks.lock_for_card(obj)
            refusal = hooks.refusal(obj)
            if refusal:
                raise CardPaymentUnavailable(refusal)
            payment = Payment.objects.create(
                **payable,
                method=PaymentMethod.CARD,
                amount=amount,
                platform_fee=platform_fee(amount),
                stripe_account_id=community.stripe_account_id,
            )
    params = {
        "amount": settlement.cents(payment.amount),
        "currency": "eur",
        "payment_method_types": ["card"],
        "metadata": _metadata(community, hooks, obj, payment),
    }
    fee = settlement.cents(payment.platform_fee)
    if fee and not client.is_embedded():
        # Direct charge: the fee goes to the platform. localstripe rejects this parameter.
        params["application_fee_amount"] = fee
    intent = stripe.PaymentIntent.create(
        **params,
        **client.options(
            payment.stripe_account_id, idempotency_key=f"pi-{community.schema_name}-{payment.pk}"
        ),
    )
    with transaction.atomic():
        StripeRoute.objects.get_or_create(stripe_id=intent.id, defaults={"community": community})
        Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=intent.id)
    payment.stripe_payment_intent_id = intent.id
    return payment


def _reusable(intent: dict) -> bool:
    return intent["status"] in REUSABLE_INTENT_STATUSES and not intent.get("last_payment_error")


def _close_stale_attempt(payment: Payment, intent: dict) -> None:
    """Close an attempt that can no longer be confirmed as it is (3-D Secure left unanswered,
    authentication failed, cancelled) before another one is opened for the same payable.

    A prompt left unanswered is cancelled on Stripe first: once cancelled it can never be
    completed, so the old and the new attempt can never both be charged. If the member
    completed it meanwhile (the cancel is refused), it is synced as paid and PaymentInProgress
    is raised: the caller shows its status and opens nothing.
    """
    sync_payment(payment.pk, intent=intent)  # a failed authentication keeps its reason
    payment.refresh_from_db(fields=["status", "cancelled_on_stripe_at"])
    if intent["status"] in CANCELLABLE_INTENT_STATUSES:
        if payment.status == Payment.Status.PENDING:
            cancel_on_stripe(payment)
            payment.refresh_from_db(fields=["status"])
        elif payment.status == Payment.Status.FAILED and payment.cancelled_on_stripe_at is None:
            _cancel_intent_quietly(payment)
    if payment.status in (Payment.Status.PENDING, Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
        # Paid meanwhile, or not closable (processing): show it, open nothing.
        raise PaymentInProgress(payment)


def _cancel_intent_quietly(payment: Payment) -> None:
    """Cancel a failed attempt's PaymentIntent on Stripe: its client secret was given to the
    browser, and once cancelled nothing can confirm it beside the next attempt. Our payment
    stays failed (``settlement.mark_payment_failed`` keeps a failure as such)."""
    try:
        intent = stripe.PaymentIntent.cancel(
            payment.stripe_payment_intent_id, **client.options(payment.stripe_account_id)
        )
    except stripe.InvalidRequestError as error:  # already succeeded, processing or cancelled
        logger.info("payment %s not cancelled on Stripe: %s", payment.pk, error)
        return
    if client.as_dict(intent).get("status") == "canceled":
        _note_cancelled_on_stripe(payment.pk)


def _note_cancelled_on_stripe(payment_id: int) -> None:
    """Stripe holds this attempt's PaymentIntent cancelled: final there, never read back again.
    Stamped once (a second sighting keeps the first time)."""
    Payment.objects.filter(pk=payment_id, cancelled_on_stripe_at__isnull=True).update(
        cancelled_on_stripe_at=timezone.now()
    )


def retrieve_intent(payment: Payment) -> dict:
    intent = stripe.PaymentIntent.retrieve(
        payment.stripe_payment_intent_id, **client.options(payment.stripe_account_id)
    )
    return client.as_dict(intent)


def retrieve_intent_with_charge(payment: Payment) -> dict:
    intent = stripe.PaymentIntent.retrieve(
        payment.stripe_payment_intent_id,
        expand=["latest_charge"],
        **client.options(payment.stripe_account_id),
    )
    return client.as_dict(intent)


def client_secret(payment: Payment) -> str:
    return retrieve_intent(payment)["client_secret"]


def confirm_card_payment(*, actor, payment: Payment, payment_method_id: str) -> dict:
    """Attach the payment method collected by Stripe.js and confirm, server side.

    Returns ``{"status", "client_secret", "error"}`` for the page: ``requires_action`` means the
    browser must run 3-D Secure (Stripe.js), ``succeeded``/``processing`` means wait for the
    webhook. Nothing is activated here.
    """
    if payment.payer_user_id != actor.pk:
        raise PermissionError("payment of another member")
    if payment.status == Payment.Status.FAILED and payment.stripe_payment_intent_id:
        # The page still shows the form of an attempt that failed (e.g. 3-D Secure refused).
        return _confirm_on_a_fresh_attempt(actor=actor, payment=payment, payment_method_id=payment_method_id)
    if payment.status != Payment.Status.PENDING or not payment.stripe_payment_intent_id:
        return {"status": "invalid", "client_secret": "", "error": _("Ce paiement n'est plus en attente.")}
    hooks, _obj = registry.payable_of(payment)
    refusal = hooks.refusal_to_confirm(payment)
    if refusal:  # e.g. the seat's hold is over, or its price changed: no charge for it
        return {"status": "invalid", "client_secret": "", "error": refusal}
    opts = client.options(payment.stripe_account_id)
    try:
        if not _reusable(retrieve_intent(payment)):
            # 3-D Secure left unanswered, or failed: this attempt is closed, a fresh one is used.
            return _confirm_on_a_fresh_attempt(
                actor=actor, payment=payment, payment_method_id=payment_method_id
            )
        stripe.PaymentIntent.modify(
            payment.stripe_payment_intent_id, payment_method=payment_method_id, **opts
        )
        intent = client.as_dict(stripe.PaymentIntent.confirm(payment.stripe_payment_intent_id, **opts))
    except stripe.CardError as error:
        # A declined attempt is over (Stripe said so to us, server to server): record it and open
        # a fresh attempt the page can use at once with another card.
        logger.info("card declined for payment %s: %s", payment.pk, error.code)
        settlement.mark_payment_failed(payment.pk, reason=error.code or "card_declined")
        _cancel_intent_quietly(payment)  # its client secret is in the browser: nothing may confirm it later
        declined = {"status": "declined", "client_secret": "", "error": decline_message(error.code)}
        try:
            retry = start_card_payment(actor=actor, **payment.payable)
        except CardPaymentUnavailable as refusal:  # e.g. the seat's hold ran out meanwhile
            declined["error"] = f"{declined['error']} {refusal}"
            return declined
        return {**declined, "retry_payment": retry.pk}
    except stripe.InvalidRequestError as error:
        logger.warning("confirm refused for payment %s: %s", payment.pk, error)
        return {"status": "invalid", "client_secret": "", "error": _("Le paiement n'a pas pu être confirmé.")}
    except stripe.StripeError as error:  # network, rate limit, Stripe outage: nothing was charged twice
        logger.warning("confirm failed for payment %s: %s", payment.pk, error)
        return {
            "status": "unavailable",
            "client_secret": "",
            "error": _(
                "Le paiement par carte est momentanément indisponible : réessayez dans quelques minutes."
            ),
        }
    return {"status": intent["status"], "client_secret": intent["client_secret"], "error": ""}


def _confirm_on_a_fresh_attempt(*, actor, payment: Payment, payment_method_id: str) -> dict:
    """Close ``payment`` (``_close_stale_attempt``) and confirm a fresh attempt for the same
    payable with the new card. The result carries ``retry_payment``: the page goes on with it."""
    try:
        _close_stale_attempt(payment, retrieve_intent(payment))
        fresh = start_card_payment(actor=actor, **payment.payable)
    except PaymentInProgress as in_progress:  # paid meanwhile, or being paid: never a second charge
        return {
            "status": "processing",
            "client_secret": "",
            "error": "",
            "retry_payment": in_progress.payment.pk,
        }
    except CardPaymentUnavailable as refusal:
        return {"status": "invalid", "client_secret": "", "error": str(refusal)}
    if fresh.amount != payment.amount:
        return {
            "status": "invalid",
            "client_secret": "",
            "error": _("Le montant à régler a changé : rechargez la page pour payer le bon montant."),
        }
    result = confirm_card_payment(actor=actor, payment=fresh, payment_method_id=payment_method_id)
    return {**result, "retry_payment": result.get("retry_payment") or fresh.pk}


# How long the status page trusts what it last read from Stripe (it polls every 2 seconds).
STATE_READ_EVERY_SECONDS = 3
AUTHENTICATION_FAILED = "payment_intent_authentication_failure"


def attempt_state(payment: Payment) -> str:
    """Where a card attempt still pending on our side stands, for its status page.

    Reads the PaymentIntent from Stripe (at most every few seconds per attempt) and syncs our
    payment with it — a failed 3-D Secure authentication sends no webhook, so the page itself
    asks. Returns ``awaiting_authentication`` (3-D Secure not answered), ``not_submitted`` (no
    card confirmed yet), ``processing`` (the bank is confirming, or Stripe cannot be read now),
    or "" when the payment is not a pending card attempt (its own status then says it all).
    ``payment`` is refreshed from the database.
    """
    if payment.status != Payment.Status.PENDING or not payment.stripe_payment_intent_id:
        return ""
    key = f"dues:attempt-state:{payment.pk}"
    state = cache.get(key)
    if state is None:
        try:
            intent = retrieve_intent_with_charge(payment)
        except stripe.StripeError as error:
            logger.warning("payment %s not read from Stripe: %s", payment.pk, error)
            return "processing"
        # A failure is closed on Stripe too by sync_payment: a retry opens a fresh attempt.
        sync_payment(payment.pk, intent=intent)
        state = {
            "requires_action": "awaiting_authentication",
            "requires_payment_method": "not_submitted",
            "requires_confirmation": "not_submitted",
        }.get(intent.get("status"), "processing")
        cache.set(key, state, STATE_READ_EVERY_SECONDS)
    payment.refresh_from_db()
    return state if payment.status == Payment.Status.PENDING else ""


def failure_message(payment: Payment) -> str:
    """Why a failed card attempt failed, in French, for its payer."""
    if payment.failure_reason == AUTHENTICATION_FAILED:
        return _(
            "L’authentification 3-D Secure a échoué : votre banque n’a pas validé le paiement et "
            "rien n’a été débité."
        )
    return decline_message(payment.failure_reason)


def decline_message(code: str | None) -> str:
    messages = {
        "card_declined": _("Votre carte a été refusée. Essayez une autre carte ou contactez votre banque."),
        "expired_card": _("Votre carte a expiré."),
        "incorrect_cvc": _("Le cryptogramme de la carte est incorrect."),
        "insufficient_funds": _("Le solde de votre carte est insuffisant."),
    }
    return messages.get(code or "", messages["card_declined"])


def sync_payment(payment_id: int, *, intent: dict | None = None) -> str:
    """Bring our payment in line with the PaymentIntent as Stripe has it now. Idempotent.

    Whatever told us to look (webhook, reconciliation, status page), a failure newly recorded is
    also closed on Stripe: a declined PaymentIntent stays open there, and the browser holding its
    client secret could still confirm it with another card while a fresh attempt is paid too.

    Returns what happened: ``succeeded``, ``failed``, ``cancelled``, ``refunded`` or ``unchanged``.
    """
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or not payment.stripe_payment_intent_id:
        return "unchanged"
    if intent is None:
        intent = retrieve_intent_with_charge(payment)
    status = intent.get("status")
    charge = intent.get("latest_charge")
    if status == "succeeded":
        charged = (intent.get("amount_received") or intent.get("amount"), intent.get("currency"))
        changed = settlement.mark_payment_succeeded(payment.pk, paid_at=timezone.now(), charged=charged)
        if isinstance(charge, dict) and charge.get("refunded"):
            refunded = settlement.mark_payment_refunded(payment.pk, seen_on_stripe=True)
            return "refunded" if refunded else "unchanged"
        if isinstance(charge, dict) and charge.get("amount_refunded"):
            # Part of it refunded on Stripe (the CPTS's dashboard): shown, credit note, still paid.
            part = Decimal(int(charge["amount_refunded"])) / 100
            if settlement.record_partial_refund(payment.pk, refunded=part):
                return "partially_refunded"
        return "succeeded" if changed else "unchanged"
    if status == "canceled":
        _note_cancelled_on_stripe(payment.pk)
        return (
            "cancelled"
            if settlement.mark_payment_failed(payment.pk, reason="annulé", cancelled=True)
            else "unchanged"
        )
    error = intent.get("last_payment_error")
    if status == "requires_payment_method" and error:
        reason = error.get("code") or error.get("message") or "failed"
        if not settlement.mark_payment_failed(payment.pk, reason=reason):
            return "unchanged"
        _cancel_intent_quietly(payment)
        return "failed"
    return "unchanged"


def handle_event(event: dict) -> str:
    """A routed webhook event for this CPTS. The event only says *which* object to look at; the
    PaymentIntent and its charge are read again from Stripe.

    Except a dispute (``charge.dispute.*``), recorded from the signed event itself, ordered by the
    event's time (``settlement.record_dispute``): it moves no money by itself until lost, and
    localstripe has no dispute API to read it back from (docs/payments.md). Its balance
    transactions' fees are recorded (``settlement.record_dispute_fees``) and the CPTS's team is
    told of it once (``mails.tell_team_of_dispute``)."""
    obj = event.get("data", {}).get("object", {}) or {}
    ids = [value for value in (obj.get("id"), obj.get("payment_intent")) if isinstance(value, str)]
    payment = Payment.objects.filter(stripe_payment_intent_id__in=ids).first()
    if payment is None:
        return "unknown"
    if str(event.get("type", "")).startswith("charge.dispute.") and obj.get("object") == "dispute":
        # What Stripe holds of the payment first (its success webhook may have been lost): a
        # lost dispute can only reverse a payment recorded as paid.
        synced = sync_payment(payment.pk)
        disputed = settlement.record_dispute(
            payment.pk,
            status=str(obj.get("status") or ""),
            reason=str(obj.get("reason") or ""),
            at=event_time(event),
        )
        # The fees Stripe took or gave back: one record per balance transaction, whichever event
        # carries it. Then the team is told, once per dispute (replays and later events tell nobody).
        dispute_id = str(obj.get("id") or "")
        settlement.record_dispute_fees(
            payment.pk, dispute_id=dispute_id, balance_transactions=obj.get("balance_transactions")
        )
        payment.refresh_from_db()
        mails.tell_team_of_dispute(payment, obj)
        return "disputed" if disputed else synced
    return sync_payment(payment.pk)


def handle_stored_event(webhook_event_id: int, schema_name: str) -> str:
    """The stored webhook event ``webhook_event_id``, routed to this CPTS, applied
    (``handle_event``); ``skipped`` when there is no such event for this CPTS."""
    event = WebhookEvent.objects.filter(pk=webhook_event_id, community__schema_name=schema_name).first()
    if event is None:
        return "skipped"
    return handle_event(event.payload)


# A card attempt still pending after this long was abandoned (the page closed): cancelled on Stripe.
ABANDONED_AFTER = timedelta(days=2)


def reconcile_pending(*, older_than_seconds: int = 600) -> dict[str, int]:
    """Ask Stripe what a lost webhook would have told: card payments still pending, refunds made
    on Stripe (``_sync_refunds_made_on_stripe``), closed attempts charged anyway
    (``_recheck_closed_attempts``); and finish the receipts and credit notes left unnumbered,
    unbuilt or unmailed (``_reissue_lost_receipts``) for longer than ``older_than_seconds``."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    abandoned_cutoff = timezone.now() - ABANDONED_AFTER
    outcome: dict[str, int] = {}
    pending = Payment.objects.filter(
        status=Payment.Status.PENDING,
        stripe_payment_intent_id__isnull=False,
        created_at__lte=cutoff,
        created_at__gt=abandoned_cutoff,
    ).values_list("pk", flat=True)
    for payment_id in pending.iterator(chunk_size=200):
        try:
            result = sync_payment(payment_id)
        except stripe.StripeError as error:  # one bad call must not stop the sweep
            logger.warning("reconciliation of payment %s failed: %s", payment_id, error)
            result = "error"
        outcome[result] = outcome.get(result, 0) + 1
    # Attempts left for days (page closed) are cancelled on Stripe rather than read every 15 minutes
    # forever; one that was in fact paid is synced as paid by cancel_on_stripe.
    abandoned = Payment.objects.filter(
        status=Payment.Status.PENDING,
        stripe_payment_intent_id__isnull=False,
        created_at__lte=abandoned_cutoff,
    ).order_by("pk")[:200]
    for payment in abandoned:
        try:
            result = cancel_on_stripe(payment)
        except stripe.StripeError as error:
            logger.warning("abandoned payment %s not cancelled: %s", payment.pk, error)
            result = "error"
        key = "abandoned" if result != "error" else "error"
        outcome[key] = outcome.get(key, 0) + 1
    for result in (*_sync_refunds_made_on_stripe(), *_recheck_closed_attempts(cutoff, abandoned_cutoff)):
        outcome[result] = outcome.get(result, 0) + 1
    reissued = _reissue_lost_receipts(cutoff)
    if reissued:
        outcome["receipts"] = reissued
    return outcome


# Refunds made on Stripe (the CPTS's dashboard) this recently are read back by every sweep.
REFUNDS_READ_BACK = timedelta(days=3)


def _sync_refunds_made_on_stripe() -> list[str]:
    """Succeeded card payments refunded on Stripe (e.g. from the CPTS's dashboard) whose
    ``charge.refunded`` webhook was lost, synced (refunded, credit note, seat released). One list
    call per connected account and sweep (newest first, down to REFUNDS_READ_BACK), not one
    call per payment. Returns what ``sync_payment`` did for each."""
    since = int((timezone.now() - REFUNDS_READ_BACK).timestamp())
    succeeded = Payment.objects.filter(
        status=Payment.Status.SUCCEEDED,
        method__in=[PaymentMethod.CARD, PaymentMethod.SEPA],
        stripe_payment_intent_id__isnull=False,
    )
    results = []
    for account in succeeded.values_list("stripe_account_id", flat=True).distinct().order_by():
        intent_ids = set()
        try:
            for found in stripe.Refund.list(limit=100, **client.options(account)).auto_paging_iter():
                refund = client.as_dict(found)
                if refund["created"] < since:
                    break
                if isinstance(refund.get("payment_intent"), str):
                    intent_ids.add(refund["payment_intent"])
        except stripe.StripeError as error:  # one account out of reach must not stop the sweep
            logger.warning("refunds of account %s not read: %s", account, error)
            results.append("error")
            continue
        refunded = succeeded.filter(stripe_account_id=account, stripe_payment_intent_id__in=intent_ids)
        for payment_id in refunded.values_list("pk", flat=True):
            try:
                results.append(sync_payment(payment_id))
            except stripe.StripeError as error:
                logger.warning("reconciliation of refunded payment %s failed: %s", payment_id, error)
                results.append("error")
    return results


def _recheck_closed_attempts(cutoff, abandoned_cutoff) -> list[str]:
    """Card attempts closed on our side (failed, cancelled) in the last days whose PaymentIntent
    may still be open on Stripe (the cancel never reached it) while the page holds its client
    secret: one charged anyway is recorded (``sync_payment``: the money is never dropped), one
    still open is cancelled on Stripe now. Returns ``succeeded``/``refunded``/``closed``/… each."""
    closed = Payment.objects.filter(
        status__in=[Payment.Status.FAILED, Payment.Status.CANCELLED],
        method=PaymentMethod.CARD,
        stripe_payment_intent_id__isnull=False,
        cancelled_on_stripe_at__isnull=True,  # final on Stripe: read once, not at every sweep
        created_at__lte=cutoff,
        created_at__gt=abandoned_cutoff,
    ).order_by("-pk")[:200]
    results = []
    for payment in closed:
        try:
            intent = retrieve_intent_with_charge(payment)
            if intent["status"] == "succeeded":
                results.append(sync_payment(payment.pk, intent=intent))
            elif intent["status"] in CANCELLABLE_INTENT_STATUSES:
                _cancel_intent_quietly(payment)
                results.append("closed")
            elif intent["status"] == "canceled":
                _note_cancelled_on_stripe(payment.pk)
        except stripe.StripeError as error:
            logger.warning("closed attempt %s not read from Stripe: %s", payment.pk, error)
            results.append("error")
    return results


# Receipts left unfinished longer than this are not finished by the repair any more (a member is
# not mailed a weeks-old receipt out of the blue; the team can still resend it).
REPAIR_RECEIPTS_WITHIN = timedelta(days=7)


def _reissue_lost_receipts(cutoff) -> int:
    """The repair of receipts and credit notes: every one must end numbered, built (PDF) and
    e-mailed, whatever happened to its task (broker down at commit, worker killed between the
    numbering and the mail, SMTP down longer than the task's retries).

    Payments still missing their receipt or credit note since before ``cutoff`` get their issuing
    task queued again; documents issued before ``cutoff`` and still without PDF or e-mail get the
    mail task (builds the PDF, mails once). The tasks are idempotent: run twice, one number and
    one mail. Returns how many tasks were queued."""
    schema = connection.schema_name
    receipts = Payment.objects.filter(
        status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED], paid_at__lte=cutoff
    ).exclude(receipts__kind=Receipt.Kind.RECEIPT)
    # Every refund seen (partial or whole) has its credit note covering the total refunded so far.
    covered = Receipt.objects.filter(
        payment=OuterRef("pk"), kind=Receipt.Kind.CREDIT_NOTE, refunded_total=OuterRef("amount_refunded")
    )
    notes = Payment.objects.filter(
        status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED],
        amount_refunded__gt=0,
        refunded_at__lte=cutoff,
    ).exclude(Exists(covered))
    unfinished = (
        Receipt.objects.filter(issued_at__lte=cutoff, issued_at__gt=cutoff - REPAIR_RECEIPTS_WITHIN)
        # Not a document the mail path refused (blocked address): the team sends it again.
        .filter(Q(pdf="") | (Q(emailed_at__isnull=True) & ~Q(email_outcome=EMAIL_SUPPRESSED)))
        .order_by("issued_at")
    )
    queued = 0
    for payment_id in receipts.values_list("pk", flat=True)[:500]:
        enqueue_on_commit("dues.issue_receipt", schema, payment_id)
        queued += 1
    for payment_id in notes.values_list("pk", flat=True)[:500]:
        enqueue_on_commit("dues.issue_credit_note", schema, payment_id)
        queued += 1
    for receipt_id in unfinished.values_list("pk", flat=True)[:500]:
        enqueue_on_commit("dues.send_receipt", schema, receipt_id)
        queued += 1
    return queued


def cancel_on_stripe(payment: Payment) -> str:
    """Cancel an open PaymentIntent (a released seat must not be paid later), then align our
    payment with Stripe. A PaymentIntent already paid cannot be cancelled: it is synced instead
    (and the paid seat dealt with there). Returns what ``sync_payment`` did."""
    if payment.status != Payment.Status.PENDING or not payment.stripe_payment_intent_id:
        return "unchanged"
    try:
        stripe.PaymentIntent.cancel(
            payment.stripe_payment_intent_id, **client.options(payment.stripe_account_id)
        )
    except stripe.InvalidRequestError as error:  # already succeeded, processing or cancelled
        logger.info("payment %s not cancelled on Stripe: %s", payment.pk, error)
    return sync_payment(payment.pk)


def refund_on_stripe(payment: Payment) -> None:
    """Refund on Stripe what remains of a card payment, once: a charge already fully refunded
    (from the CPTS's dashboard, its webhook lost) is not refunded again (Stripe would refuse it
    anyway).

    The amount is always named: what remains on Stripe's charge, and never more than what
    remains in our own ledger (``Payment.amount`` minus ``amount_refunded``). Stripe refunds
    « the rest » when no amount is given, but localstripe refunds the whole charge again. A
    partial refund made on Stripe that we had not recorded yet (its webhook lost) is recorded
    first (``settlement.record_partial_refund``: its own credit note and audit line), so our
    refund then covers, and is logged as, the rest only.

    The platform's commission on the payment is given back with it (``refund_application_fee``):
    the CPTS pays back the whole price, so it gets back the share the platform took on it."""
    charge = retrieve_intent_with_charge(payment).get("latest_charge")
    charge = charge if isinstance(charge, dict) else {}
    if charge.get("refunded"):
        logger.info("payment %s already refunded on Stripe: no second refund", payment.pk)
        return
    already = int(charge.get("amount_refunded") or 0)
    if already:
        settlement.record_partial_refund(payment.pk, refunded=Decimal(already) / 100)
    ours = Payment.objects.values_list("amount", "amount_refunded").get(pk=payment.pk)
    remaining = settlement.cents(ours[0]) - settlement.cents(ours[1])
    if charge.get("amount") is not None:
        remaining = min(remaining, int(charge["amount"]) - already)
    if remaining <= 0:
        logger.info("payment %s: nothing left to refund on Stripe", payment.pk)
        return
    params: dict[str, Any] = {"payment_intent": payment.stripe_payment_intent_id, "amount": remaining}
    if payment.platform_fee and not client.is_embedded():
        # Direct charge: the fee went to the platform. localstripe rejects this parameter.
        params["refund_application_fee"] = True
    # One key per refund: the rest after a partial refund is another request than a whole
    # refund (Stripe refuses a key sent again with other parameters).
    key = f"refund-{connection.schema_name}-{payment.pk}" + (f"-after-{already}" if already else "")
    stripe.Refund.create(**params, **client.options(payment.stripe_account_id, idempotency_key=key))
