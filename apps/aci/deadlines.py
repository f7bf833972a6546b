"""Mission deadlines of an ACI contract, counted in calendar months from the signature date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months; the 31st falls back to the month's last day
    (31 August + 6 months = 28 or 29 February)."""
    return start + relativedelta(months=months)


@dataclass(frozen=True)
class MissionDeadlines:
    start_by: date
    fully_deployed_by: date


def mission_deadlines(signed_on: date, start_months: int, full_months: int) -> MissionDeadlines:
    """Deadlines of a mission that must start within ``start_months`` of the signature and be fully
    deployed within ``full_months`` (6/18 for access to care and crises, 12/24 for the others)."""
    if full_months < start_months:
        raise ValueError("full deployment cannot come before the start")
    return MissionDeadlines(add_months(signed_on, start_months), add_months(signed_on, full_months))
