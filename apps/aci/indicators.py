"""Indicator values the platform computes from its own data (members, events, working groups).

Every function assumes the connection is set to the CPTS's schema; periods are civil dates,
``end`` included, in the CPTS's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from .models import Indicator

# The platform sources whose yearly figure is a stock (value at the end of the year), not a flow.
STOCK_SOURCES = {Indicator.Source.MEMBERS}


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def compute_value(source: str, start: date, end: date) -> Decimal:
    """The figure of platform source ``source`` over [start, end]. Raises ValueError for MANUAL."""
    from apps.events.selectors import count_event_attendees, count_events_held
    from apps.members.models import Membership
    from apps.working_groups.selectors import (
        count_active_groups,
        count_meeting_attendance,
        count_meetings_held,
    )

    since, until = _bounds(start, end)
    if source == Indicator.Source.MEMBERS:
        # Active memberships that existed at the end of the period.
        count = Membership.objects.filter(is_active=True, joined_at__lt=until).count()
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
    else:
        raise ValueError(f"no platform data for source {source!r}")
    return Decimal(count)
