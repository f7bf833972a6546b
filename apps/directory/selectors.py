"""Reads of the current CPTS's directory. Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .models import Entry, ImportRun, ListingRequest, Place
from .search import MEMBERS, PUBLIC, TEAM, visible_entries


def audience_of(membership) -> str:
    """What a visitor may see: the public, members (members-only entries and fields), or the team."""
    if membership is None or not getattr(membership, "is_active", False):
        return PUBLIC
    return TEAM if membership.has_role("team") else MEMBERS


def sees_members_fields(audience: str) -> bool:
    return audience in (MEMBERS, TEAM)


def with_places(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    return entries.prefetch_related(Prefetch("places", queryset=Place.objects.select_related("commune")))


def get_visible_entry(pk: int, audience: str) -> Entry:
    """The entry if ``audience`` may see it (the public page never shows hidden entries), else 404."""
    visible = visible_entries(MEMBERS if audience == TEAM else audience)
    entry = with_places(visible).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def list_import_runs(limit: int = 10) -> list[ImportRun]:
    return list(ImportRun.objects.order_by("-created_at")[:limit])


def list_withdrawn_entries(limit: int = 50) -> tuple[list[Entry], int]:
    """The latest entries the national files stopped listing, and how many there are."""
    withdrawn = Entry.objects.filter(withdrawn_at__isnull=False)
    return list(withdrawn.order_by("-withdrawn_at", "name")[:limit]), withdrawn.count()


def list_pending_requests() -> QuerySet[ListingRequest]:
    return ListingRequest.objects.filter(status=ListingRequest.Status.PENDING).order_by("created_at")


def list_recent_decisions(limit: int = 10) -> QuerySet[ListingRequest]:
    return ListingRequest.objects.exclude(status=ListingRequest.Status.PENDING).order_by("-decided_at")[
        :limit
    ]


def get_entry_claimed_by(user) -> Entry | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Entry.objects.filter(claimed_by_id=user.pk).first()


def get_member_rpps(user) -> str:
    """The RPPS of the account's professional profile (apps.professionals), or ''."""
    try:
        from apps.professionals.selectors import get_profile
    except ImportError:
        return ""
    profile = get_profile(user)
    if profile is None or profile.identifier_type != "rpps":
        return ""
    return profile.identifier or ""


__all__ = ["MEMBERS", "PUBLIC", "TEAM"]
