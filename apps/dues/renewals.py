"""Year-end work of one CPTS: lapse last year's dues, queue renewal reminders.

Both steps are set-based (one UPDATE, one INSERT … ON CONFLICT DO NOTHING per offset) so the
1 January wave costs about one bulk statement per schema (benchmarks/renewal_wave.py), and both
are idempotent: a second run finds nothing left to do.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction

from apps.members.models import Membership

from .models import Dues, DuesSettings, Reminder

# A reminder missed by a few days (beat down, worker late) is still sent; older ones are not.
CATCH_UP_DAYS = 7
BATCH = 500


def lapse_past_years(today: date) -> int:
    """Dues of years before ``today``'s are no longer active. Returns the rows changed."""
    return Dues.objects.filter(year__lt=today.year, status=Dues.Status.ACTIVE).update(
        status=Dues.Status.EXPIRED
    )


def due_offsets(today: date, offsets: list[int]) -> list[tuple[int, int]]:
    """(renewal year, offset) pairs whose reminder day is today or within the catch-up window."""
    due = []
    for offset in offsets:
        for year in (today.year, today.year + 1):
            day = date(year, 1, 1) + timedelta(days=int(offset))
            if day <= today < day + timedelta(days=CATCH_UP_DAYS):
                due.append((year, int(offset)))
    return due


def queue_reminders(today: date) -> list[int]:
    """Create the reminders due today (once per member, year and offset); returns the ids of
    those not sent yet. Recipients: active members who paid an earlier year and not ``year``.

    One INSERT … SELECT … ON CONFLICT DO NOTHING per due offset: no rows travel through Python.
    """
    offsets = DuesSettings.load().reminder_offsets or []
    reminder, dues, membership = Reminder._meta.db_table, Dues._meta.db_table, Membership._meta.db_table
    sql = f"""
        INSERT INTO {reminder} (membership_id, year, offset_days, created_at)
        SELECT m.id, %(year)s, %(offset)s, now() FROM {membership} m
        WHERE m.is_active
          AND EXISTS (SELECT 1 FROM {dues} d WHERE d.membership_id = m.id AND d.year < %(year)s
                      AND d.status IN ('active', 'expired'))
          AND NOT EXISTS (SELECT 1 FROM {dues} d WHERE d.membership_id = m.id AND d.year = %(year)s
                          AND d.status = 'active')
        ON CONFLICT (membership_id, year, offset_days) DO NOTHING
    """  # noqa: S608 - table names come from our own models
    ids: list[int] = []
    for year, offset in due_offsets(today, offsets):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {"year": year, "offset": offset})
        ids.extend(
            Reminder.objects.filter(sent_at__isnull=True, year=year, offset_days=offset).values_list(
                "pk", flat=True
            )
        )
    return ids
