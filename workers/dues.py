"""Dues tasks: renewals (lapse, reminder campaigns, automatic renewals). Thin: load ids, call
services. The payment tasks (receipts, Stripe events, reconciliation) are in workers/payments.py.

Every task runs twice and acts once (tests/dues/test_tasks.py).
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task

from apps.dues import autorenew, mails, renewals
from apps.dues.calendar import paris_today
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
    return autorenew.run_campaign(campaign_id, mails.tell_autorenew_failed)


@shared_task(base=TenantTask, name="dues.retry_auto_renewals")
def retry_auto_renewals_task(schema_name: str, year: int) -> dict:
    """Charge again the automatic renewals of ``year`` that never reached Stripe (queued daily by
    ``run_renewals`` while there are some). Runs twice, charges once (see autorenew.charge)."""
    return autorenew.retry_unreached(year, mails.tell_autorenew_failed)


@shared_task(base=TenantTask, name="dues.send_reminders")
def send_reminders_task(schema_name: str, campaign_id: int) -> int:
    """E-mail a reminder campaign, each member once (see apps/dues/renewals.py). A mail server
    out of reach rolls the failed claim back and the task base retries (workers.base.TenantTask)."""
    return renewals.send_campaign(campaign_id, mails.send_reminder)
