"""Reading the roster: a week's occurrences of the slots, the coverage grid, the public points, the
figures the ACI cockpit counts, the FHIR shape of a week."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.geo.models import Commune
from apps.territory.selectors import list_territory_communes

from .models import GapRequest, RosterProfile, Slot


@dataclass(frozen=True)
class Occurrence:
    slot: Slot
    day: date

    @property
    def starts(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.day, self.slot.starts_at))

    @property
    def ends(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.day, self.slot.ends_at))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(value: str | None, *, today: date | None = None) -> date:
    """The Monday of ISO week ``YYYY-Www`` (``2026-W49``), else of the current week."""
    today = today or timezone.localdate()
    if value:
        try:
            year, week = value.split("-W")
            if 2000 <= int(year) <= 2100:  # the grid's previous/next weeks stay inside dates' range
                return date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            pass
    return monday_of(today)


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def slots_between(start: date, end: date) -> QuerySet[Slot]:
    """Slots that may occur on a day of [start, end]."""
    recurring = Q(weekday__isnull=False, valid_from__lte=end) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=start)
    )
    return Slot.objects.filter(recurring | Q(date__gte=start, date__lte=end))


def occurrences(start: date, end: date, *, slots=None) -> list[Occurrence]:
    """Every occurrence of the slots on the days of [start, end], by day then hour."""
    slots = list(slots if slots is not None else slots_between(start, end).select_related("commune"))
    found = []
    day = start
    while day <= end:
        for slot in slots:
            if slot.date is not None:
                if slot.date == day:
                    found.append(Occurrence(slot, day))
            elif (
                slot.weekday == day.weekday()
                and slot.valid_from <= day
                and (slot.valid_until is None or day <= slot.valid_until)
            ):
                found.append(Occurrence(slot, day))
        day += timedelta(days=1)
    found.sort(key=lambda o: (o.day, o.slot.starts_at, o.slot.place_name))
    return found


def list_own_slots(user) -> QuerySet[Slot]:
    return (
        Slot.objects.filter(professional=user)
        .select_related("commune")
        .order_by("date", "weekday", "starts_at")
    )


def get_own_slot(user, pk: int) -> Slot | None:
    return Slot.objects.filter(professional=user, pk=pk).first()


def get_profile(user) -> RosterProfile | None:
    return RosterProfile.objects.filter(professional=user).first()


def get_profile_by_token(token: str) -> RosterProfile | None:
    return (
        RosterProfile.objects.filter(feed_token=token).select_related("professional").first()
        if token
        else None
    )


@dataclass
class GridCell:
    day: date
    occurrences: list[Occurrence] = field(default_factory=list)
    requested: bool = False  # the volunteers were already asked to cover it
    html: str = ""  # the occurrences as the team's page writes them (set by the view)


@dataclass
class GridRow:
    commune: Commune
    cells: list[GridCell] = field(default_factory=list)

    @property
    def gaps(self) -> int:
        return sum(1 for cell in self.cells if not cell.occurrences)


@dataclass
class WeekGrid:
    monday: date
    days: list[date]
    rows: list[GridRow]

    @property
    def gaps(self) -> int:
        return sum(row.gaps for row in self.rows)

    @property
    def slot_count(self) -> int:
        return sum(len(cell.occurrences) for row in self.rows for cell in row.cells)


def week_grid(monday: date) -> WeekGrid:
    """Coverage of the week per commune of the territory (and any other commune a slot names) and
    per day; an empty cell is a gap. Three queries whatever the number of slots."""
    days = [monday + timedelta(days=offset) for offset in range(7)]
    found = occurrences(days[0], days[-1])
    communes = {commune.code: commune for commune in list_territory_communes()}
    for occurrence in found:
        communes.setdefault(occurrence.slot.commune_id, occurrence.slot.commune)
    rows = {
        code: GridRow(commune=commune, cells=[GridCell(day=day) for day in days])
        for code, commune in communes.items()
    }
    for occurrence in found:
        rows[occurrence.slot.commune_id].cells[occurrence.day.weekday()].occurrences.append(occurrence)
    for commune_id, day in GapRequest.objects.filter(day__gte=days[0], day__lte=days[-1]).values_list(
        "commune_id", "day"
    ):
        if commune_id in rows:
            rows[commune_id].cells[day.weekday()].requested = True
    ordered = sorted(rows.values(), key=lambda row: row.commune.name)
    return WeekGrid(monday=monday, days=days, rows=ordered)


def public_points(today: date | None = None) -> tuple[list[Occurrence], list[Occurrence]]:
    """(today's remaining occurrences, the other days of the next 7): what the public page shows."""
    now = timezone.localtime()
    today = today or now.date()
    found = occurrences(today, today + timedelta(days=6))
    current = [o for o in found if o.day == today and (today != now.date() or o.slot.ends_at > now.time())]
    later = [o for o in found if o.day != today]
    return current, later


def offered_counts(start: date, end: date) -> dict:
    """Occurrences offered over [start, end]: in all, per professional id, per ISO week."""
    found = occurrences(start, end)
    per_professional: dict[int, int] = defaultdict(int)
    per_week: dict[str, int] = defaultdict(int)
    for occurrence in found:
        per_professional[occurrence.slot.professional_id] += 1
        per_week[week_label(monday_of(occurrence.day))] += 1
    return {"total": len(found), "per_professional": dict(per_professional), "per_week": dict(per_week)}


def count_slots_offered(start: date, end: date) -> int:
    return len(occurrences(start, end))


def count_professionals_offering(start: date, end: date) -> int:
    return len({o.slot.professional_id for o in occurrences(start, end)})


def fhir_week(monday: date, *, base_url: str) -> dict:
    """The week's slots as a FHIR R4 ``Bundle`` of ``Schedule`` (one per professional and place)
    and ``Slot`` (one per occurrence, status ``free``), shaped after the national SAS agenda flux:
    a shape to exchange, not a live connection (docs/roster.md)."""
    found = occurrences(monday, monday + timedelta(days=6))
    schedules: dict[tuple, dict] = {}
    entries = []
    for occurrence in found:
        slot = occurrence.slot
        key = (slot.professional_id, slot.place_name, slot.commune_id)
        if key not in schedules:
            schedule_id = f"schedule-{slot.professional_id}-{slot.pk}"
            schedules[key] = {
                "resourceType": "Schedule",
                "id": schedule_id,
                "active": True,
                "serviceType": [{"text": "Soins non programmés"}],
                "actor": [
                    {"display": slot.place_name},
                    {"reference": f"Practitioner/{slot.professional_id}"},
                ],
                "comment": f"{slot.address}, {slot.commune.name} — {slot.phone}",
            }
            entries.append({"fullUrl": f"{base_url}Schedule/{schedule_id}", "resource": schedules[key]})
        slot_id = f"slot-{slot.pk}-{occurrence.day:%Y%m%d}"
        entries.append(
            {
                "fullUrl": f"{base_url}Slot/{slot_id}",
                "resource": {
                    "resourceType": "Slot",
                    "id": slot_id,
                    "schedule": {"reference": f"Schedule/{schedules[key]['id']}"},
                    "status": "free",
                    "start": occurrence.starts.isoformat(),
                    "end": occurrence.ends.isoformat(),
                    "serviceType": [{"text": slot.get_kind_display()}],
                },
            }
        )
    return {"resourceType": "Bundle", "type": "collection", "total": len(entries), "entry": entries}
