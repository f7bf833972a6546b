"""Reads of campaigns for the team. Assumes the connection is set to the CPTS's schema (a
campaign of another CPTS is simply not there: 404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404

from .models import Campaign, Recipient


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

    def as_dict(self) -> dict:
        return {
            "total": self.total, "pending": self.pending, "sending": self.sending, "sent": self.sent,
            "failed": self.failed, "skipped": self.skipped, "interrupted": self.interrupted,
            "bounced": self.bounced, "unsubscribed": self.unsubscribed, "delivered": self.delivered,
            "percent": self.percent,
        }  # fmt: skip


def progress(campaign: Campaign) -> Progress:
    """Counts of the campaign's recipients by state, in one query."""
    S = Recipient.Status
    counts = Recipient.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=S.PENDING)),
        sending=Count("pk", filter=Q(status=S.SENDING)),
        sent=Count("pk", filter=Q(status=S.SENT)),
        failed=Count("pk", filter=Q(status=S.FAILED)),
        skipped=Count("pk", filter=Q(status=S.SKIPPED)),
        interrupted=Count("pk", filter=Q(status=S.INTERRUPTED)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    )
    return Progress(**counts)
