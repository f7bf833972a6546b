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


class DuesStanding:
    """``apps.members.standing.StandingProvider`` reading the membership's dues rows."""

    def standing_by_dues(self, membership: Membership) -> Standing:
        """GOOD with active dues for last, this or next civil year (Europe/Paris); LAPSED when dues
        were once paid; else CANDIDATE. One query."""
        year = paris_today().year
        rows = list(Dues.objects.filter(membership_id=membership.pk).values_list("year", "status"))
        if any(
            status == Dues.Status.ACTIVE and year - 1 <= dues_year <= year + 1 for dues_year, status in rows
        ):
            return Standing.GOOD
        if any(status in _ONCE_PAID for _year, status in rows):
            return Standing.LAPSED
        return Standing.CANDIDATE

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
