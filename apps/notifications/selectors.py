"""Reads of notifications: the member space's list across the account's CPTS, the digest's input."""

from __future__ import annotations

from apps.members.models import Membership
from apps.professionals.selectors import read_in_each_community

from .models import Notification
from .registry import Channel

RECENT_PER_COMMUNITY = 20


def recent_everywhere(user, limit: int = 30) -> list[dict]:
    """The account's latest notifications from every CPTS it is an active member of, newest first.

    Each CPTS's schema is read in turn (only those the public index lists for this account), and a
    schema where the account holds no active membership any more shows nothing: a former member
    does not read a CPTS's items."""

    def read(community) -> list[Notification]:
        if not Membership.objects.filter(user=user, is_active=True).exists():
            return []
        return list(Notification.objects.filter(user=user)[:RECENT_PER_COMMUNITY])

    rows = [
        {"community": community, "notification": notification}
        for community, notifications in read_in_each_community(user, read)
        for notification in notifications
    ]
    rows.sort(key=lambda row: row["notification"].created_at, reverse=True)
    return rows[:limit]


def digest_pending(user=None):
    """The current CPTS's notifications kept for the weekly digest and not carried by one yet
    (all accounts, or ``user``'s), oldest first. The digest sets ``digested_at`` once sent."""
    pending = Notification.objects.filter(channel=Channel.DIGEST, digested_at__isnull=True).order_by(
        "created_at"
    )
    return pending.filter(user=user) if user is not None else pending
