"""The dues section of « Mon espace » (``apps.members.space``), registered in ``DuesConfig.ready``."""

from __future__ import annotations

from .calendar import join_years
from .models import DuesSettings
from .selectors import list_dues_of, memberships_everywhere, renewal_years


def dues_section(request) -> dict:
    """The member's dues here (with receipts), their memberships in every CPTS, the years they may
    renew for."""
    return {
        "dues_list": list_dues_of(request.membership),
        "everywhere": memberships_everywhere(request.user),
        "renewal_years": renewal_years(request.membership, join_years(DuesSettings.load())),
    }
