"""Reads of the current CPTS's directory. Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from apps.geo.text import normalize
from apps.members.standing import Refusal, Standing, is_in_good_standing, refusal_for, standing_of
from apps.professionals.models import ProfessionalProfile
from apps.professionals.selectors import get_profile
from apps.territory.selectors import get_territory_place_codes

from .models import Entry, ImportRun, Kind, ListingRequest, Place, Visibility
from .search import MEMBERS, PUBLIC, TEAM, visible_entries


def audience_of(membership) -> str:
    """What a visitor may see: the public, members à jour (members-only entries and fields; a
    candidate or lapsed member sees what the public sees, apps.members.standing), or the team."""
    if not is_in_good_standing(membership):
        return PUBLIC
    return TEAM if membership.has_role("team") else MEMBERS


def members_only_refusal(membership, pk: int) -> Refusal | None:
    """Why ``membership`` (a candidate or lapsed member) may not open entry ``pk``, when it is a
    members-only entry it would see once à jour; None otherwise (visitors and outsiders get 404)."""
    if standing_of(membership) in (None, Standing.GOOD):
        return None
    exists = visible_entries(MEMBERS).filter(pk=pk, visibility=Visibility.MEMBERS).exists()
    return refusal_for(membership) if exists else None


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
    return (
        ListingRequest.objects.filter(status=ListingRequest.Status.PENDING)
        .select_related("entry")
        .order_by("created_at")
    )


def list_recent_decisions(limit: int = 10) -> QuerySet[ListingRequest]:
    return (
        ListingRequest.objects.exclude(status=ListingRequest.Status.PENDING)
        .select_related("entry")
        .order_by("-decided_at")[:limit]
    )


def list_pending_requests_with_requesters() -> list[ListingRequest]:
    """Pending requests, oldest first; a claim carries ``requester`` (the account asking) and
    ``requester_profile`` (its professional profile, or None) so the team sees who asks."""
    pending = list(list_pending_requests())
    ids = {listing.requested_by_id for listing in pending if listing.requested_by_id}
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=ids)}
    profiles = {profile.user_id: profile for profile in ProfessionalProfile.objects.filter(user_id__in=ids)}
    for listing in pending:
        listing.requester = users.get(listing.requested_by_id)
        listing.requester_profile = profiles.get(listing.requested_by_id)
        listing.mismatches = _claim_mismatches(listing) if listing.is_claim else []
    return pending


def _claim_mismatches(listing: ListingRequest) -> list[str]:
    """What in a claim does not match the entry: the account's name, the profile's profession."""
    entry, user, profile = listing.entry, listing.requester, listing.requester_profile
    if entry is None or user is None:
        return []
    found = []
    surname = normalize(entry.last_name or entry.name)
    if surname and surname not in normalize(user.get_full_name()):
        found.append(
            _("Le nom du compte (%(account)s) n'est pas celui de la fiche (%(entry)s).")
            % {"account": user.get_full_name() or user.email, "entry": entry.name}
        )
    if profile is not None and entry.profession_code and profile.profession != entry.profession_code:
        found.append(
            _("Profession du profil : %(profile)s ; profession de la fiche : %(entry)s.")
            % {"profile": profile.get_profession_display(), "entry": entry.profession}
        )
    return found


def has_pending_claim(user, entry: Entry) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return ListingRequest.objects.filter(
        purpose=ListingRequest.Purpose.CLAIM,
        status=ListingRequest.Status.PENDING,
        entry_id=entry.pk,
        requested_by_id=user.pk,
    ).exists()


def may_claim(user, audience: str, entry: Entry) -> bool:
    """Whether to offer ``user`` to claim ``entry``: a member whose professional profile bears the
    entry's RPPS, the entry linked to nobody yet."""
    return (
        audience != PUBLIC
        and entry.claimed_by_id is None
        and bool(entry.identifier)
        and get_member_rpps(user) == entry.identifier
    )


def get_entry_claimed_by(user) -> Entry | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Entry.objects.filter(claimed_by_id=user.pk).first()


def get_member_rpps(user) -> str:
    """The RPPS of the account's professional profile (apps.professionals), or ''."""
    profile = get_profile(user)
    if profile is None or profile.identifier_type != "rpps":
        return ""
    return profile.identifier or ""


__all__ = ["MEMBERS", "PUBLIC", "TEAM"]


def count_territory_professionals() -> int:
    """Health professionals listed in the directory (entries not hidden, not withdrawn) who practise
    in the territory: a place in one of its communes (an arrondissement counts for its city), or no
    place with a known commune (typed by the team without one). Registered with the territory app
    as its professionals counter."""
    located = Place.objects.filter(entry=OuterRef("pk"), commune__isnull=False)
    inside = located.filter(commune_id__in=sorted(get_territory_place_codes()))
    return (
        Entry.objects.filter(kind=Kind.PROFESSIONAL, withdrawn_at__isnull=True)
        .exclude(visibility=Visibility.HIDDEN)
        .filter(Exists(inside) | ~Exists(located))
        .count()
    )
