"""The dues side of « membre à jour » (``apps.members.standing``), registered with members in
``DuesConfig.ready``. Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.members.models import Membership
from apps.members.standing import Standing

from .calendar import PARIS, paris_today
from .models import Dues, DuesSettings

# Dues statuses that prove a payment was once made (a lapsed member, not a candidate).
_ONCE_PAID = (Dues.Status.ACTIVE, Dues.Status.EXPIRED)


def _standing_from(rows: list[tuple[int, str]], year: int) -> Standing:
    """The rule, from a membership's (year, status) dues rows and the current civil year."""
    if any(status == Dues.Status.ACTIVE and year - 1 <= dues_year <= year + 1 for dues_year, status in rows):
        return Standing.GOOD
    if any(status in _ONCE_PAID for _year, status in rows):
        return Standing.LAPSED
    return Standing.CANDIDATE


def _standing_on(rows: list[tuple[int, str, datetime | None]], day: date, grace_days: int) -> Standing:
    """The rule as it stood at the end of ``day`` (past), from a membership's (year, status,
    activated_at) dues rows: dues paid by then (still active, or lapsed since: both were paid;
    refunded or cancelled ones were not) for that year or the next, or for the year before while
    that day was in the grace period (the daily run lapses them at its end)."""
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), PARIS)
    covered = {day.year, day.year + 1}
    if day < date(day.year, 1, 1) + timedelta(days=grace_days):
        covered.add(day.year - 1)
    paid = [
        dues_year
        for dues_year, status, activated_at in rows
        if status in _ONCE_PAID and (activated_at is None or activated_at < end)
    ]
    if any(dues_year in covered for dues_year in paid):
        return Standing.GOOD
    if paid:
        return Standing.LAPSED
    return Standing.CANDIDATE


class DuesStanding:
    """``apps.members.standing.StandingProvider`` reading the membership's dues rows."""

    def standing_by_dues(self, membership: Membership) -> Standing:
        """GOOD with active dues for last, this or next civil year (Europe/Paris); LAPSED when dues
        were once paid; else CANDIDATE. One query."""
        rows = list(Dues.objects.filter(membership_id=membership.pk).values_list("year", "status"))
        return _standing_from(rows, paris_today().year)

    def standings_by_dues(self, memberships: list[Membership], on: date | None = None) -> dict[int, Standing]:
        """The same answer for many memberships: one query for all their dues. ``on`` a day before
        today: as of the end of that day (``_standing_on``)."""
        today = paris_today()
        rows: dict[int, list[tuple[int, str, datetime | None]]] = {
            membership.pk: [] for membership in memberships
        }
        for membership_id, year, status, activated_at in Dues.objects.filter(
            membership_id__in=list(rows)
        ).values_list("membership_id", "year", "status", "activated_at"):
            rows[membership_id].append((year, status, activated_at))
        if on is None or on >= today:
            return {
                pk: _standing_from([(y, s) for y, s, _at in dues], today.year) for pk, dues in rows.items()
            }
        grace_days = DuesSettings.load().grace_days
        return {pk: _standing_on(dues, on, grace_days) for pk, dues in rows.items()}

    def pending_payment(self, membership: Membership) -> tuple[str, str] | None:
        """The payment page of the latest pending dues, with its French label, or None."""
        pending = (
            Dues.objects.filter(membership_id=membership.pk, status=Dues.Status.PENDING)
            .order_by("-year")
            .first()
        )
        if pending is None:
            return None
        return reverse("dues:pay", args=[pending.pk]), _("Régler ma cotisation %(year)s") % {
            "year": pending.year
        }
