"""The membership year: 1 January – 31 December, Europe/Paris (CPTS.md §3)."""

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


def year_start(year: int) -> datetime:
    """1 January 00:00 Europe/Paris of ``year``, as an aware datetime."""
    return datetime.combine(date(year, 1, 1), time(0, 0), tzinfo=PARIS)
