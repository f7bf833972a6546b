"""Who a campaign goes to: an audience definition (stored as JSON on the campaign) and the people
it selects in this CPTS.

Two sources:

- **members** of this CPTS (active memberships), narrowed by every filter given (they combine
  with AND): standing (« à jour » or not, read from ``apps.members.standing``, the one definition),
  dues of a year, tier, profession, commune (of the professional profile), a working group, the
  registrants of an event (seat confirmed or held);
- **directory** professionals who agreed to hear from this CPTS (``DirectoryOptIn``), narrowed
  by profession and commune.

Each address appears once. Assumes the connection is set to the CPTS's schema.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from apps.directory.models import Entry
from apps.dues.calendar import paris_today
from apps.dues.models import Dues
from apps.events.models import Registration
from apps.members.models import Membership
from apps.members.standing import Standing, standings_of
from apps.professionals.models import ProfessionalProfile
from apps.working_groups.models import GroupMember

from .models import DirectoryOptIn


class Source:
    MEMBERS = "members"
    DIRECTORY = "directory"


class StandingFilter:
    ANY = ""
    GOOD = "good"
    NOT_GOOD = "not_good"


@dataclass(frozen=True)
class Audience:
    """An audience definition; empty filters select everyone of the source."""

    source: str = Source.MEMBERS
    standing: str = StandingFilter.ANY
    year: int | None = None
    tier: int | None = None
    profession: str = ""
    commune: str = ""
    working_group: int | None = None
    event: int | None = None

    def as_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value not in (None, "")}

    @classmethod
    def from_dict(cls, data: dict | None) -> Audience:
        data = data or {}
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""
    user_id: int | None = None
    extra: dict = field(default_factory=dict)


def _members(audience: Audience):
    members = Membership.objects.filter(is_active=True).select_related("user")
    if audience.year:
        members = members.filter(
            pk__in=Dues.objects.filter(year=audience.year, status=Dues.Status.ACTIVE).values("membership_id")
        )
    if audience.tier:
        year = audience.year or paris_today().year
        members = members.filter(
            pk__in=Dues.objects.filter(
                year=year, tier_id=audience.tier, status__in=[Dues.Status.ACTIVE, Dues.Status.PENDING]
            ).values("membership_id")
        )
    profiles = ProfessionalProfile.objects.all()
    if audience.profession:
        profiles = profiles.filter(profession=audience.profession)
    if audience.commune:
        profiles = profiles.filter(
            Q(commune__iexact=audience.commune.strip()) | Q(postcode=audience.commune.strip())
        )
    if audience.profession or audience.commune:
        members = members.filter(user_id__in=profiles.values("user_id"))
    if audience.working_group:
        members = members.filter(
            user_id__in=GroupMember.objects.filter(group_id=audience.working_group).values("user_id")
        )
    if audience.event:
        members = members.filter(
            user_id__in=Registration.objects.filter(
                event_id=audience.event, status__in=Registration.SEATED
            ).values("user_id")
        )
    rows = list(members.order_by("pk"))
    if audience.standing:
        standings = standings_of(rows)
        wanted_good = audience.standing == StandingFilter.GOOD
        rows = [m for m in rows if (standings.get(m.pk) == Standing.GOOD) == wanted_good]
    return [Person(email=m.user.email, name=m.user.get_full_name(), user_id=m.user_id) for m in rows]


def _directory(audience: Audience):
    optins = DirectoryOptIn.objects.filter(withdrawn_at__isnull=True, entry__withdrawn_at__isnull=True)
    entries = Entry.objects.all()
    if audience.profession:
        entries = entries.filter(profession_code=audience.profession)
    if audience.commune:
        commune = audience.commune.strip()
        entries = entries.filter(
            Q(places__city__iexact=commune)
            | Q(places__postcode=commune)
            | Q(places__commune__name__iexact=commune)
        )
    if audience.profession or audience.commune:
        optins = optins.filter(entry__in=entries.values("pk"))
    return [Person(email=o.email, name=o.entry.name) for o in optins.select_related("entry").order_by("pk")]


def select(audience: Audience) -> list[Person]:
    """The people ``audience`` selects here, one per address (case-insensitive), in a stable order."""
    people = _directory(audience) if audience.source == Source.DIRECTORY else _members(audience)
    seen: set[str] = set()
    unique = []
    for person in people:
        key = person.email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            unique.append(person)
    return unique


def count(audience: Audience) -> int:
    return len(select(audience))


def describe(audience: Audience) -> str:
    """A short French description of the audience (campaign list, confirmation)."""
    if audience.source == Source.DIRECTORY:
        parts = [_("professionnels de l'annuaire abonnés")]
    else:
        parts = [_("membres")]
        if audience.standing == StandingFilter.GOOD:
            parts.append(_("à jour de cotisation"))
        elif audience.standing == StandingFilter.NOT_GOOD:
            parts.append(_("pas à jour de cotisation"))
        if audience.year:
            parts.append(_("cotisation %(year)s réglée") % {"year": audience.year})
    if audience.profession:
        parts.append(_("profession %(code)s") % {"code": audience.profession})
    if audience.commune:
        parts.append(_("commune « %(commune)s »") % {"commune": audience.commune})
    if audience.tier:
        parts.append(_("formule n° %(tier)s") % {"tier": audience.tier})
    if audience.working_group:
        parts.append(_("d'un groupe de travail"))
    if audience.event:
        parts.append(_("inscrits à un événement"))
    return ", ".join(str(part) for part in parts)
