"""Campaign and digest tasks (mail queue; CELERY_TASK_ROUTES). Thin: load ids, call the pipeline
(apps/campaigns/sending.py, apps/campaigns/digest.py).

A campaign is sent by a chain of short slices: each ``campaigns.send_campaign`` sends for about
two seconds, then queues the next slice at the back of the mail queue (after the CPTS's bucket
refills when it ran dry), so campaigns of every CPTS take turns and a worker is free for the
priority queue between two slices. Runs twice, sends once: every message is claimed first.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from celery import shared_task
from django.db import connection
from django.utils import timezone

from apps.campaigns import digest, retention, sending
from tenants.selectors import active_schemas, schemas_holding_data
from workers.base import TenantTask, fan_out

logger = logging.getLogger(__name__)
DISPATCH_SPREAD_SECONDS = 30
DIGEST_SPREAD_SECONDS = 300
RETENTION_SPREAD_SECONDS = 600


def _same_queue(task) -> dict:
    """Options that queue the next message where ``task``'s own came from (the mail queue, or the
    queue a test or an operator sent it to), rather than back through the routes."""
    queue = (task.request.delivery_info or {}).get("routing_key")
    return {"queue": queue} if queue else {}


@shared_task(base=TenantTask, name="campaigns.start_campaign", bind=True)
def start_campaign_task(self, schema_name: str, campaign_id: int) -> str:
    """Freeze the audience of a campaign due now, then start its sending chain."""
    if not sending.start(campaign_id):
        return "skipped"
    send_campaign_task.apply_async(args=(schema_name, campaign_id), **_same_queue(self))
    return "started"


@shared_task(base=TenantTask, name="campaigns.send_campaign", bind=True, max_retries=None)
def send_campaign_task(self, schema_name: str, campaign_id: int) -> str:
    """Send one slice of the campaign, then queue the next one until it is over."""
    try:
        result = sending.send_slice(campaign_id, connection.tenant)
    except (smtplib.SMTPException, OSError) as exc:  # mail server unreachable: transient
        countdown = min(30 * (self.request.retries + 1), 300)
        logger.warning("campaign %s: mail server unreachable (%s), again in %ss", campaign_id, exc, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if result.finished:
        return f"finished ({result.sent} sent)"
    self.apply_async(args=(schema_name, campaign_id), countdown=result.wait or None, **_same_queue(self))
    return f"{result.sent} sent, continues"


@shared_task(base=TenantTask, name="campaigns.dispatch")
def dispatch_task(schema_name: str) -> dict:
    """Start the scheduled campaigns due now; resume those whose worker was lost."""
    started = [pk for pk in sending.due_campaigns() if sending.start(pk)]
    resumed = sending.stalled_campaigns()
    for pk in started + resumed:
        send_campaign_task.delay(schema_name, pk)
    return {"started": len(started), "resumed": len(resumed)}


@shared_task(name="campaigns.fan_out_dispatch")
def fan_out_dispatch_task() -> int:
    """Beat, every minute: one dispatch per open CPTS."""
    return fan_out(dispatch_task, spread_seconds=DISPATCH_SPREAD_SECONDS)


@shared_task(name="campaigns.begin_digest")
def begin_digest_task(period: str | None = None, spread_seconds: int = DIGEST_SPREAD_SECONDS) -> int:
    """Beat, weekly: every open CPTS gathers what is new for its members (``collect_digest``);
    the last one to answer starts the delivery. Returns the CPTS asked (0: period already begun)."""
    now = timezone.now()
    period = period or digest.period_of(now)
    schemas = active_schemas()
    if not schemas or not digest.begin(period, len(schemas)):
        return 0
    return fan_out(
        collect_digest_task, period, digest.since_for(now).isoformat(), spread_seconds=spread_seconds
    )


@shared_task(base=TenantTask, name="campaigns.collect_digest")
def collect_digest_task(schema_name: str, period: str, since: str) -> str:
    """Read this CPTS's news, events and documents new since ``since`` for its members. A failure
    is logged and this CPTS counted as answered, so the other CPTS's digests still go out."""
    outcome = "collected"
    try:
        digest.collect(period, datetime.fromisoformat(since))
    except Exception:
        logger.exception(
            "digest %s: collection failed in %s; its members get the others' news", period, schema_name
        )
        outcome = "failed"
    if digest.answered(period):
        deliver_digests_task.delay(period)
    return outcome


@shared_task(name="campaigns.deliver_digests")
def deliver_digests_task(period: str) -> int:
    """Split the accounts with a digest into batches for the mail queue."""
    count = 0
    for batch in digest.batches(period):
        send_digests_task.delay(period, batch)
        count += 1
    return count


@shared_task(name="campaigns.send_digests", bind=True, max_retries=10)
def send_digests_task(self, period: str, user_ids: list[int]) -> int:
    """Send one batch of digests for about two seconds (public schema: accounts and Redis only);
    what is left is queued again at the back of the same queue."""
    try:
        sent, rest = digest.deliver(period, user_ids)
    except OSError as exc:  # mail server unreachable: transient; sent ones are claimed
        raise self.retry(exc=exc, countdown=min(30 * (self.request.retries + 1), 300)) from exc
    if rest:
        send_digests_task.apply_async(args=(period, rest), **_same_queue(self))
    return sent


@shared_task(base=TenantTask, name="campaigns.apply_retention")
def apply_retention_task(schema_name: str) -> dict[str, int]:
    """Delete the per-address rows of this CPTS's campaigns past their retention delay. Runs
    twice, acts once (``apps.campaigns.retention``)."""
    return retention.apply_retention()


@shared_task(name="campaigns.fan_out_retention")
def fan_out_retention_task() -> int:
    """Beat entry (daily): one retention task per CPTS holding data (suspended and closed too)."""
    return fan_out(
        apply_retention_task, spread_seconds=RETENTION_SPREAD_SECONDS, schemas=schemas_holding_data()
    )
