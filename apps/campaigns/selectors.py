"""Reads of campaigns for the team. Assumes the connection is set to the CPTS's schema (a
campaign of another CPTS is simply not there: 404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q
from django.http import Http404

from apps.mailing.models import DeliveryEvent
from apps.notifications import service as notifications

from .models import Campaign, Recipient
from .sending import CAMPAIGN_KIND, source_of


def list_campaigns():
    return Campaign.objects.select_related("created_by").order_by("-created_at", "-pk")


def get_campaign(pk: int) -> Campaign:
    campaign = Campaign.objects.filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


@dataclass(frozen=True)
class Progress:
    total: int
    pending: int
    sending: int
    sent: int
    failed: int
    skipped: int
    interrupted: int
    bounced: int
    unsubscribed: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped + self.interrupted

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def delivered(self) -> int:
        """Accepted by the mail server and not bounced since."""
        return self.sent - self.bounced

    def raw(self) -> dict:
        """The stored fields (``Progress(**raw)`` gives it back)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def as_dict(self) -> dict:
        return {
            "total": self.total, "pending": self.pending, "sending": self.sending, "sent": self.sent,
            "failed": self.failed, "skipped": self.skipped, "interrupted": self.interrupted,
            "bounced": self.bounced, "unsubscribed": self.unsubscribed, "delivered": self.delivered,
            "percent": self.percent,
        }  # fmt: skip


def bounced_count(campaign: Campaign) -> int:
    """Recipients of ``campaign`` the provider reported as hard-bounced or complaining (signed
    webhook events stored once, ``apps.mailing.tracking``), each counted once: those whose events
    are still held, and those whose events retention deleted (kept on the campaign)."""
    held = DeliveryEvent.objects.filter(
        schema=connection.schema_name,
        suppressed=True,
        sent_mail__key__startswith=f"campaign:{campaign.pk}:",
    ).values_list("sent_mail_id", flat=True)
    return len(set(held) | set(campaign.purged_bounce_ids))


def progress(campaign: Campaign) -> Progress:
    """Counts of the campaign's recipients by state; bounced from the provider's events,
    unsubscribed from the unsubscriptions its links recorded. Once retention deleted the rows,
    the figures kept on the campaign."""
    if campaign.recipients_purged_at is not None and campaign.final_counts:
        return Progress(**campaign.final_counts)
    S = Recipient.Status
    counts = Recipient.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=S.PENDING)),
        sending=Count("pk", filter=Q(status=S.SENDING)),
        sent=Count("pk", filter=Q(status=S.SENT)),
        failed=Count("pk", filter=Q(status=S.FAILED)),
        skipped=Count("pk", filter=Q(status=S.SKIPPED)),
        interrupted=Count("pk", filter=Q(status=S.INTERRUPTED)),
    )
    return Progress(
        **counts,
        bounced=bounced_count(campaign),
        unsubscribed=notifications.unsubscribed_count(CAMPAIGN_KIND, source_of(campaign)),
    )
