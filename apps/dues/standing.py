"""The dues side of « membre à jour » (``apps.members.standing``), registered with members in
``DuesConfig.ready``. Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.members.models import Membership
from apps.members.standing import Standing

from .calendar import paris_today
from .models import Dues

# Dues statuses that prove a payment was once made (a lapsed member, not a candidate).
_ONCE_PAID = (Dues.Status.ACTIVE, Dues.Status.EXPIRED)


def _standing_from(rows: list[tuple[int, str]], year: int) -> Standing:
    """The rule, from a membership's (year, status) dues rows and the current civil year."""
    if any(status == Dues.Status.ACTIVE and year - 1 <= dues_year <= year + 1 for dues_year, status in rows):
        return Standing.GOOD
    if any(status in _ONCE_PAID for _year, status in rows):
        return Standing.LAPSED
    return Standing.CANDIDATE


class DuesStanding:
    """``apps.members.standing.StandingProvider`` reading the membership's dues rows."""

    def standing_by_dues(self, membership: Membership) -> Standing:
        """GOOD with active dues for last, this or next civil year (Europe/Paris); LAPSED when dues
        were once paid; else CANDIDATE. One query."""
        rows = list(Dues.objects.filter(membership_id=membership.pk).values_list("year", "status"))
        return _standing_from(rows, paris_today().year)

    def standings_by_dues(self, memberships: list[Membership]) -> dict[int, Standing]:
        """The same answer for many memberships: one query for all their dues."""
        rows: dict[int, list[tuple[int, str]]] = {membership.pk: [] for membership in memberships}
        for membership_id, year, status in Dues.objects.filter(membership_id__in=list(rows)).values_list(
            "membership_id", "year", "status"
        ):
            rows[membership_id].append((year, status))
        year = paris_today().year
        return {pk: _standing_from(dues, year) for pk, dues in rows.items()}

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
