"""Reads of notifications: the member space's list across the account's CPTS, the digest's input."""

from __future__ import annotations

from django.db.models import Q

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


def digest_pending(user=None, *, period: str = ""):
    """The current CPTS's notifications kept for the weekly digest and not carried by one yet
    (all accounts, or ``user``'s; a ``user`` may be an id), oldest first, plus those the digest of
    ``period`` already carried (its collection run again finds the same). The digest marks what it
    carried (``service.mark_digested``). Whether the person still wants each kind in the digest is the
    caller's to check (``service.channel_for``): a preference may have changed since."""
    carried = Q(digested_at__isnull=True) | (Q(digest_period=period) if period else Q(pk__in=[]))
    pending = Notification.objects.filter(carried, channel=Channel.DIGEST).order_by("created_at", "pk")
    if user is None:
        return pending
    return pending.filter(user_id=getattr(user, "pk", user))
