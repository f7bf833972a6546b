"""Dues tasks: renewals (lapse, reminder campaigns, automatic renewals). Thin: load ids, call
services. The payment tasks (receipts, Stripe events, reconciliation) are in workers/payments.py.

Every task runs twice and acts once (tests/dues/test_tasks.py).
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string

from apps.dues import autorenew, renewals
from apps.dues.calendar import paris_today
from tenants.models import Community
from workers.base import TenantTask, fan_out

logger = logging.getLogger(__name__)
# Spread the per-CPTS tasks of a fan-out over this many seconds.
FAN_OUT_SPREAD_SECONDS = 300


@shared_task(name="dues.fan_out_renewals")
def fan_out_renewals_task(day: str | None = None) -> int:
    """Beat, daily after midnight (Europe/Paris): one renewal task per active CPTS, staggered."""
    day = day or paris_today().isoformat()
    # 1 January: lapse everyone promptly; other days the reminders can wait a few minutes.
    spread = 0 if day.endswith("-01-01") else FAN_OUT_SPREAD_SECONDS
    return fan_out(run_renewals_task, day, spread_seconds=spread)


@shared_task(base=TenantTask, name="dues.run_renewals")
def run_renewals_task(schema_name: str, day: str) -> dict:
    """Lapse past years' dues and queue the reminder campaigns due on ``day`` (ISO date).

    Idempotent: a second run lapses nothing and queues no campaign twice.
    """
    today = date.fromisoformat(day)
    lapsed = renewals.lapse_past_years(today)
    campaigns = renewals.queue_reminders(today)
    for campaign_id, kind in campaigns:
        task = charge_auto_renewals_task if kind == "autorenew" else send_reminders_task
        task.delay(schema_name, campaign_id)
    autorenew.queue_retry_of_unreached(today.year)  # Stripe was unreachable for some: try again today
    return {"lapsed": lapsed, "campaigns": len(campaigns)}


@shared_task(base=TenantTask, name="dues.charge_auto_renewals")
def charge_auto_renewals_task(schema_name: str, campaign_id: int) -> dict:
    """Charge the saved cards of members with automatic renewal, once each; e-mail failures."""
    return autorenew.run_campaign(campaign_id, _tell_autorenew_failed(schema_name))


@shared_task(base=TenantTask, name="dues.retry_auto_renewals")
def retry_auto_renewals_task(schema_name: str, year: int) -> dict:
    """Charge again the automatic renewals of ``year`` that never reached Stripe (queued daily by
    ``run_renewals`` while there are some). Runs twice, charges once (see autorenew.charge)."""
    return autorenew.retry_unreached(year, _tell_autorenew_failed(schema_name))


def _tell_autorenew_failed(schema_name: str):
    """E-mail a member whose card was refused, with the link to renew online."""
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


@shared_task(base=TenantTask, name="dues.send_reminders")
def send_reminders_task(schema_name: str, campaign_id: int) -> int:
    """E-mail a reminder campaign, each member once (see apps/dues/renewals.py). A mail server
    out of reach rolls the failed claim back and the task base retries (workers.base.TenantTask)."""
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

    return renewals.send_campaign(campaign_id, send)
