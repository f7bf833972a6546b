"""Retention of a CPTS's campaign logs: the per-address rows of a campaign (its ``Recipient``
rows, and their ``SentMail`` stamps on the mail path) are deleted ``CAMPAIGN_LOG_RETENTION_DAYS``
after it ended; the campaign keeps its subject, message and figures (``final_counts``).

The provider's events its bounced count reads go earlier, by their own delay
(``apps.mailing.retention``): ``keep_bounces`` (registered as an event keeper) keeps on each
campaign the recipients they reported, so the count does not change.

Run per CPTS by beat (``campaigns.fan_out_retention``). Run twice, acts once: a campaign whose
rows are gone is marked (``recipients_purged_at``) and never looked at again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.log import record
from apps.mailing.models import SentMail
from tenants.actors import SYSTEM

from . import selectors
from .models import Campaign, Recipient


def apply_retention(now: datetime | None = None) -> dict[str, int]:
    """Delete, in the current CPTS, the rows of campaigns that ended before the delay. Returns
    the counts; records them in the audit log when anything went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CAMPAIGN_LOG_RETENTION_DAYS)
    counts = {"recipients": 0, "sent_mails": 0}
    # A cancelled campaign never started: it has no rows.
    due = Campaign.objects.filter(
        status=Campaign.Status.SENT, recipients_purged_at__isnull=True, finished_at__lt=cutoff
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update().filter(pk=pk, recipients_purged_at__isnull=True).first()
            )
            if campaign is None:
                continue
            campaign.final_counts = selectors.progress(campaign).raw()
            counts["sent_mails"] += SentMail.objects.filter(
                schema=connection.schema_name, key__startswith=f"campaign:{campaign.pk}:"
            ).delete()[0]
            counts["recipients"] += Recipient.objects.filter(campaign=campaign).delete()[0]
            campaign.recipients_purged_at = now
            campaign.save(update_fields=["final_counts", "recipients_purged_at"])
    if any(counts.values()):
        record(SYSTEM, "gdpr.retention_applied", None, **{f"campaign_{k}": v for k, v in counts.items()})
    return counts


def keep_bounces(events: QuerySet) -> None:
    """Before ``events`` (provider events of the current CPTS) are deleted: each campaign keeps
    the mail stamps of the recipients they reported bounced or complaining
    (``Campaign.purged_bounce_ids``, a set: keeping twice changes nothing). A campaign whose
    figures are already frozen (``final_counts``) needs nothing."""
    reported: dict[int, set[int]] = {}
    for sent_mail_id, key in events.filter(
        suppressed=True, sent_mail__key__startswith="campaign:"
    ).values_list("sent_mail_id", "sent_mail__key"):
        campaign_id = key.split(":")[1]
        if campaign_id.isdigit():
            reported.setdefault(int(campaign_id), set()).add(sent_mail_id)
    for campaign_id, ids in reported.items():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.recipients_purged_at is not None:
            continue
        kept = set(campaign.purged_bounce_ids)
        if not ids <= kept:
            campaign.purged_bounce_ids = sorted(kept | ids)
            campaign.save(update_fields=["purged_bounce_ids"])
