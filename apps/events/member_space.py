"""The events section of « Mon espace » (``apps.members.space``), registered in ``EventsConfig.ready``."""

from __future__ import annotations

from .selectors import list_paid_registrations_of


def paid_registrations_section(request) -> dict:
    """The account's paid event registrations."""
    return {"paid_registrations": list_paid_registrations_of(request.user)}
