"""The membership year: 1 January – 31 December, Europe/Paris (CPTS.md §3).

Every helper takes an optional ``now`` so that pages and tests can be reasoned about at a fixed
date; without it, the current time."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")


def paris_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), PARIS).date()


def membership_year(settings_row, now: datetime | None = None) -> int:
    """The year a join made at ``now`` counts for: the civil year, or the next one from the
    CPTS's switch date (e.g. from 1 December) when set."""
    today = paris_today(now)
    month, day = settings_row.next_year_from_month, settings_row.next_year_from_day
    if month and (today.month, today.day) >= (month, day or 1):
        return today.year + 1
    return today.year


# From this month on, a join made under the civil-year rule may also buy the next year: the
# current one ends within two months, which the join page says plainly.
NEXT_YEAR_OFFERED_FROM_MONTH = 11


def join_years(settings_row, now: datetime | None = None) -> list[int]:
    """The years a join made at ``now`` may buy, the default first.

    The membership year (``membership_year``: civil year, or the next one once the CPTS's switch
    date is passed); in November and December while the civil year is still the one sold, the
    next year too, so nobody buys a year ending within weeks without choosing it.
    """
    year = membership_year(settings_row, now)
    today = paris_today(now)
    if year == today.year and today.month >= NEXT_YEAR_OFFERED_FROM_MONTH:
        return [year, year + 1]
    return [year]


def days_left_in_year(now: datetime | None = None) -> int:
    """Days from today (Europe/Paris) to 31 December of this year: 28 on 3 December, 0 on the 31st."""
    today = paris_today(now)
    return (date(today.year, 12, 31) - today).days


def year_start(year: int) -> datetime:
    """1 January 00:00 Europe/Paris of ``year``, as an aware datetime."""
    return datetime.combine(date(year, 1, 1), time(0, 0), tzinfo=PARIS)
