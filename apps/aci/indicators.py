"""Indicator values the platform computes from its own data (members, events, working groups,
directory).

Every function assumes the connection is set to the CPTS's schema; periods are civil dates,
``end`` included, in the CPTS's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

from apps.access_care import selectors as access_care
from apps.directory.models import Entry, Kind
from apps.events.selectors import count_event_attendees, count_events_held
from apps.members.models import Membership
from apps.members.standing import Standing, standings_of
from apps.roster.selectors import count_professionals_offering, count_slots_offered
from apps.working_groups.selectors import count_active_groups, count_meeting_attendance, count_meetings_held

from .models import Indicator

# The platform sources whose yearly figure is a stock (value at the end of the year), not a flow.
STOCK_SOURCES = {
    Indicator.Source.MEMBERS,
    Indicator.Source.DIRECTORY_COVERAGE,
    Indicator.Source.ACCESS_PENDING,
    Indicator.Source.ACCESS_MEDIAN_DAYS,
}
# The médecin-traitant desk's counts of patients who found a GP, by source (aggregates only).
ACCESS_FOUND_GROUPS = {
    Indicator.Source.ACCESS_FOUND: {},
    Indicator.Source.ACCESS_FOUND_PRIORITY: {"priority": True},
    Indicator.Source.ACCESS_FOUND_ALD: {"group": "ald"},
    Indicator.Source.ACCESS_FOUND_ELDERLY: {"group": "elderly"},
    Indicator.Source.ACCESS_FOUND_C2S: {"group": "c2s"},
}
# Sources whose figure is a percentage; a new indicator on them gets "%" as its unit.
PERCENT_SOURCES = {Indicator.Source.DIRECTORY_COVERAGE}


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def directory_coverage(until: datetime) -> Decimal:
    """Share (%, two decimals) of the health professionals listed in the directory before ``until``
    that the directory marks as members of the CPTS. Every professional entry counts, hidden ones
    included (hiding is about display, not about practising on the territory); structures do not,
    nor do professionals the national files had stopped listing by then (withdrawn).
    0 when the directory lists no professional yet."""
    listed = Entry.objects.filter(kind=Kind.PROFESSIONAL, created_at__lt=until).exclude(
        withdrawn_at__lt=until
    )
    counts = listed.aggregate(listed=Count("pk"), members=Count("pk", filter=Q(is_member=True)))
    if not counts["listed"]:
        return Decimal(0)
    share = Decimal(100) * counts["members"] / counts["listed"]
    return share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def count_members_in_good_standing(end: date, until: datetime) -> int:
    """Members of the CPTS at the end of day ``end``: active memberships joined before ``until``
    that were à jour that day (``apps.members.standing.standings_of``: team, exempt, or dues paid
    by then covering that day). Candidates (joined, never paid) and lapsed members are not members."""
    memberships = list(Membership.objects.filter(is_active=True, joined_at__lt=until))
    return sum(1 for standing in standings_of(memberships, on=end).values() if standing == Standing.GOOD)


def compute_value(source: str, start: date, end: date) -> Decimal:
    """The figure of platform source ``source`` over [start, end]. Raises ValueError for MANUAL."""
    since, until = _bounds(start, end)
    if source == Indicator.Source.MEMBERS:
        count = count_members_in_good_standing(end, until)
    elif source == Indicator.Source.EVENTS_HELD:
        count = count_events_held(since, until)
    elif source == Indicator.Source.EVENT_ATTENDANCE:
        count = count_event_attendees(since, until)
    elif source == Indicator.Source.MEETINGS_HELD:
        count = count_meetings_held(since, until)
    elif source == Indicator.Source.MEETING_ATTENDANCE:
        count = count_meeting_attendance(since, until)
    elif source == Indicator.Source.ACTIVE_GROUPS:
        count = count_active_groups(since, until)
    elif source == Indicator.Source.SNP_SLOTS:
        # Each weekly slot counts once per week it was offered in the period.
        count = count_slots_offered(start, end)
    elif source == Indicator.Source.SNP_PROFESSIONALS:
        count = count_professionals_offering(start, end)
    elif source == Indicator.Source.ACCESS_REQUESTS:
        count = access_care.count_received(since, until)
    elif source in ACCESS_FOUND_GROUPS:
        count = access_care.count_found(since, until, **ACCESS_FOUND_GROUPS[source])
    elif source == Indicator.Source.ACCESS_PENDING:
        count = access_care.count_pending(until)
    elif source == Indicator.Source.ACCESS_MEDIAN_DAYS:
        # Over the requests that found a GP during the period; 0 when none did.
        median = access_care.median_days_waited(since, until)
        return Decimal(str(median)) if median is not None else Decimal(0)
    elif source == Indicator.Source.DIRECTORY_COVERAGE:
        # A stock like MEMBERS: the directory as it stood at the end of the period.
        return directory_coverage(until)
    else:
        raise ValueError(f"no platform data for source {source!r}")
    return Decimal(count)
