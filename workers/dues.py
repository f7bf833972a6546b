"""Dues tasks: receipts, Stripe events, reconciliation, renewals. Thin: load ids, call services.

Every task runs twice and acts once (tests/dues/test_tasks.py).
"""

from __future__ import annotations

import logging
from datetime import date

import stripe
from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string

from workers.base import TenantTask, fan_out

logger = logging.getLogger(__name__)
# Spread the per-CPTS tasks of a fan-out over this many seconds.
FAN_OUT_SPREAD_SECONDS = 300


def _email(task, receipt, *, force: bool = False) -> bool:
    """E-mail a receipt or credit note (once unless ``force``); SMTP errors are retried later."""
    from apps.dues import receipts

    try:
        return receipts.email(receipt, force=force)
    except OSError as exc:  # SMTP unreachable: transient; the number is kept
        raise task.retry(exc=exc, countdown=30 * (task.request.retries + 1)) from exc


@shared_task(base=TenantTask, name="dues.issue_receipt", bind=True, max_retries=5)
def issue_receipt_task(self, schema_name: str, payment_id: int) -> str:
    """Number the payment's receipt (once), build its PDF and e-mail it (once)."""
    from apps.dues import receipts

    receipt = receipts.issue(payment_id)
    if receipt is None:
        return "skipped"
    _email(self, receipt)
    return receipt.number


@shared_task(base=TenantTask, name="dues.issue_credit_note", bind=True, max_retries=5)
def issue_credit_note_task(self, schema_name: str, payment_id: int) -> str:
    """Number, build and e-mail the credit note of a refunded payment (once each); its receipt
    too if that was still missing (the receipt task may still be queued, or lost)."""
    from apps.dues import receipts
    from apps.payments.models import Receipt

    receipt = receipts.issue(payment_id)
    if receipt is not None:
        _email(self, receipt)
    note = receipts.issue(payment_id, Receipt.Kind.CREDIT_NOTE)
    if note is None:
        return "skipped"
    _email(self, note)
    return note.number


@shared_task(base=TenantTask, name="dues.send_receipt", bind=True, max_retries=5)
def send_receipt_task(self, schema_name: str, receipt_id: int, force: bool = False) -> str:
    """Build and e-mail a numbered receipt or credit note: once, or again when ``force`` (a
    resend asked by the team). The repair of ``reconcile_pending`` queues it without ``force``."""
    from apps.payments.models import Receipt

    receipt = Receipt.objects.filter(pk=receipt_id).first()
    if receipt is None:
        return "skipped"
    return "sent" if _email(self, receipt, force=force) else "skipped"


@shared_task(base=TenantTask, name="dues.handle_stripe_event", bind=True, max_retries=5)
def handle_stripe_event_task(self, schema_name: str, webhook_event_id: int) -> str:
    """Apply a routed Stripe event to this CPTS (re-reading the object from Stripe)."""
    from apps.dues import payments
    from apps.stripe_gateway.models import WebhookEvent

    event = WebhookEvent.objects.filter(pk=webhook_event_id, community__schema_name=schema_name).first()
    if event is None:
        return "skipped"
    try:
        return payments.handle_event(event.payload)
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc


@shared_task(base=TenantTask, name="dues.reconcile_payments")
def reconcile_payments_task(schema_name: str, older_than_seconds: int = 600) -> dict:
    from apps.dues import autorenew, payments
    from apps.dues.calendar import paris_today

    result = payments.reconcile_pending(older_than_seconds=older_than_seconds)
    year = paris_today().year
    if autorenew.unreached(year).exists():  # renewals Stripe was out of reach for: every 15 minutes
        retry_auto_renewals_task.delay(schema_name, year)
    return result


@shared_task(name="dues.fan_out_reconciliation")
def fan_out_reconciliation_task() -> int:
    from apps.stripe_gateway.client import is_configured

    if not is_configured():
        return 0
    return fan_out(reconcile_payments_task, spread_seconds=FAN_OUT_SPREAD_SECONDS)


@shared_task(name="dues.fan_out_renewals")
def fan_out_renewals_task(day: str | None = None) -> int:
    """Beat, daily after midnight (Europe/Paris): one renewal task per active CPTS, staggered."""
    from apps.dues.calendar import paris_today

    day = day or paris_today().isoformat()
    # 1 January: lapse everyone promptly; other days the reminders can wait a few minutes.
    spread = 0 if day.endswith("-01-01") else FAN_OUT_SPREAD_SECONDS
    return fan_out(run_renewals_task, day, spread_seconds=spread)


@shared_task(base=TenantTask, name="dues.run_renewals")
def run_renewals_task(schema_name: str, day: str) -> dict:
    """Lapse past years' dues and queue the reminder campaigns due on ``day`` (ISO date).

    Idempotent: a second run lapses nothing and queues no campaign twice.
    """
    from apps.dues import autorenew, renewals

    today = date.fromisoformat(day)
    lapsed = renewals.lapse_past_years(today)
    campaigns = renewals.queue_reminders(today)
    for campaign_id, kind in campaigns:
        task = charge_auto_renewals_task if kind == "autorenew" else send_reminders_task
        task.delay(schema_name, campaign_id)
    if autorenew.unreached(today.year).exists():  # Stripe was unreachable for some: try again today
        retry_auto_renewals_task.delay(schema_name, today.year)
    return {"lapsed": lapsed, "campaigns": len(campaigns)}


@shared_task(base=TenantTask, name="dues.charge_auto_renewals")
def charge_auto_renewals_task(schema_name: str, campaign_id: int) -> dict:
    """Charge the saved cards of members with automatic renewal, once each; e-mail failures."""
    from apps.dues import autorenew

    return autorenew.run_campaign(campaign_id, _tell_autorenew_failed(schema_name))


@shared_task(base=TenantTask, name="dues.retry_auto_renewals")
def retry_auto_renewals_task(schema_name: str, year: int) -> dict:
    """Charge again the automatic renewals of ``year`` that never reached Stripe (queued daily by
    ``run_renewals`` while there are some). Runs twice, charges once (see autorenew.charge)."""
    from apps.dues import autorenew

    return autorenew.retry_unreached(year, _tell_autorenew_failed(schema_name))


def _tell_autorenew_failed(schema_name: str):
    """E-mail a member whose card was refused, with the link to renew online."""
    from tenants.models import Community

    community = Community.objects.get(schema_name=schema_name)

    def on_failure(membership, year: int) -> None:
        context = {"community": community, "user": membership.user, "year": year,
                   "url": f"{community.primary_url()}adhesion/"}  # fmt: skip
        send_mail(
            subject=f"Votre renouvellement {year} à {community.name} n'a pas abouti",
            message=render_to_string("dues/email/autorenew_failed.txt", context),
            from_email=None,
            recipient_list=[membership.user.email],
        )

    return on_failure


@shared_task(base=TenantTask, name="dues.send_reminders", bind=True, max_retries=5)
def send_reminders_task(self, schema_name: str, campaign_id: int) -> int:
    """E-mail a reminder campaign, each member once (see apps/dues/renewals.py)."""
    from apps.dues import autorenew, renewals
    from tenants.models import Community

    community = Community.objects.get(schema_name=schema_name)
    url = f"{community.primary_url()}adhesion/renouveler/"

    def send(reminder) -> None:
        user = reminder.membership.user
        context = {"community": community, "reminder": reminder, "user": user, "url": url}
        if reminder.membership.auto_renew:
            tier = autorenew._tier_for(reminder.membership, reminder.year)
            context["amount"] = tier.price if tier else None
        send_mail(
            subject=f"Votre adhésion {reminder.year} à {community.name}",
            message=render_to_string("dues/email/reminder.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )

    try:
        return renewals.send_campaign(campaign_id, send)
    except OSError as exc:  # SMTP unreachable: the failed claim was rolled back, retry later
        raise self.retry(exc=exc, countdown=60 * (self.request.retries + 1)) from exc
