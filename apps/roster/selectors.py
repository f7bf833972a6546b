"""Reading the roster: a week's occurrences of the slots, the coverage grid, the public points, the
figures the ACI cockpit counts, the FHIR shape of a week."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.geo.models import Commune
from apps.territory.selectors import list_territory_commune_names

from .models import GapRequest, RosterProfile, Slot


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One day a slot happens, with what the pages, the FHIR export and the counts read of it:
    a plain row, not a model (a week holds thousands)."""

    day: date
    slot_id: int
    professional_id: int
    kind: str
    place_name: str
    address: str
    commune_id: str
    commune_name: str
    phone: str
    instructions: str
    starts_at: time
    ends_at: time

    @property
    def starts(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.day, self.starts_at))

    @property
    def ends(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.day, self.ends_at))

    @property
    def kind_label(self) -> str:
        return str(Slot.Kind(self.kind).label)


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


# The occurrences of [start, end] computed by the database: each weekly slot joined to the days of
# the period that fall on its weekday inside its validity, plus the one-off slots of the period.
# Only the occurrences travel, never the slots outside the period. ``{columns}`` name the
# occurrence's ``s.day`` and the slot's columns ``s.…``; ``{where}`` adds conditions on them.
_OCCURRENCES = f"""
    SELECT {{columns}} FROM (
        SELECT d.day::date AS day, s.*
        FROM {Slot._meta.db_table} s
        JOIN generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d(day)
          ON s.weekday = extract(isodow FROM d.day)::int - 1
         AND s.valid_from <= d.day::date
         AND (s.valid_until IS NULL OR s.valid_until >= d.day::date)
        WHERE s.weekday IS NOT NULL AND s.valid_from <= %(end)s
          AND (s.valid_until IS NULL OR s.valid_until >= %(start)s)
        UNION ALL
        SELECT s.date AS day, s.* FROM {Slot._meta.db_table} s WHERE s.date BETWEEN %(start)s AND %(end)s
    ) AS s
    WHERE TRUE {{where}}
"""  # noqa: S608 - table names only; values are parameters
_ROW_COLUMNS = (
    "s.day, s.id, s.professional_id, s.kind, s.place_name, s.address, s.commune_id, s.phone, "
    "s.instructions, s.starts_at, s.ends_at"
)
_ORDER = " ORDER BY s.day, s.starts_at, s.place_name, s.id"


def _query(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _commune_names(codes) -> dict[str, str]:
    return dict(Commune.objects.filter(code__in=set(codes)).values_list("code", "name"))


def _rows_to_occurrences(rows: list[tuple]) -> list[Occurrence]:
    names = _commune_names(row[6] for row in rows)
    return [
        Occurrence(
            day,
            slot_id,
            professional_id,
            kind,
            place_name,
            address,
            commune_id,
            names.get(commune_id, commune_id),
            phone,
            instructions,
            starts_at,
            ends_at,
        )  # fmt: skip
        for day, slot_id, professional_id, kind, place_name, address, commune_id, phone, instructions, starts_at, ends_at in rows
    ]


def occurrences(start: date, end: date, *, communes: set[str] | None = None) -> list[Occurrence]:
    """Every occurrence of the slots on the days of [start, end] (in ``communes`` if given), by
    day then hour; two queries whatever the number of slots."""
    where, params = "", {"start": start, "end": end}
    if communes is not None:
        where, params["communes"] = " AND s.commune_id = ANY(%(communes)s)", sorted(communes)
    rows = _query(_OCCURRENCES.format(columns=_ROW_COLUMNS, where=where) + _ORDER, params)
    return _rows_to_occurrences(rows)


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


@dataclass(frozen=True, slots=True)
class CellEntry:
    """An occurrence as the team's grid shows it."""

    starts_at: time
    ends_at: time
    place_name: str


@dataclass
class GridCell:
    day: date
    occurrences: list[CellEntry] = field(default_factory=list)
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
    per day; an empty cell is a gap. The week's occurrences come from the database with only the
    three columns a cell shows; four queries whatever the number of slots."""
    days = [monday + timedelta(days=offset) for offset in range(7)]
    found = _query(
        _OCCURRENCES.format(columns="s.day, s.commune_id, s.starts_at, s.ends_at, s.place_name", where="")
        + _ORDER,
        {"start": days[0], "end": days[-1]},
    )
    communes = {commune.code: commune for commune in list_territory_commune_names()}
    others = {row[1] for row in found} - set(communes)
    if others:
        communes.update((c.code, c) for c in Commune.objects.filter(code__in=others).only("code", "name"))
    rows = {
        code: GridRow(commune=commune, cells=[GridCell(day=day) for day in days])
        for code, commune in communes.items()
    }
    for day, commune_id, starts_at, ends_at, place_name in found:
        if commune_id in rows:
            rows[commune_id].cells[day.weekday()].occurrences.append(
                CellEntry(starts_at, ends_at, place_name)
            )
    for commune_id, day in GapRequest.objects.filter(day__gte=days[0], day__lte=days[-1]).values_list(
        "commune_id", "day"
    ):
        if commune_id in rows:
            rows[commune_id].cells[day.weekday()].requested = True
    ordered = sorted(rows.values(), key=lambda row: row.commune.name)
    return WeekGrid(monday=monday, days=days, rows=ordered)


PUBLIC_PAGE_SIZE = 40


class _PublicOccurrences:
    """The public page's occurrences as Django's Paginator reads them: ``count()`` and a slice,
    each one query (LIMIT/OFFSET), so a page never loads the whole week."""

    def __init__(self, where: str, params: dict) -> None:
        self.where, self.params = where, params

    def count(self) -> int:
        return _query(_OCCURRENCES.format(columns="count(*)", where=self.where), self.params)[0][0]

    def __getitem__(self, window: slice) -> list[Occurrence]:
        params = {**self.params, "limit": window.stop - window.start, "offset": window.start}
        sql = _OCCURRENCES.format(columns=_ROW_COLUMNS, where=self.where) + _ORDER
        return _rows_to_occurrences(_query(sql + " LIMIT %(limit)s OFFSET %(offset)s", params))


def public_points(
    *, communes: set[str] | None = None, page: str | int | None = 1, today: date | None = None
) -> Page:
    """A page of what the public page shows: today's remaining occurrences then those of the next
    six days, by day and hour, in ``communes`` (all when None). The page number is read leniently
    (Paginator.get_page: a bad one gives the first or last page)."""
    now = timezone.localtime()
    today = today or now.date()
    where, params = "", {"start": today, "end": today + timedelta(days=6)}
    if today == now.date():
        where, params["today"], params["now"] = (
            " AND (s.day > %(today)s OR s.ends_at > %(now)s)",
            today,
            now.time(),
        )
    if communes is not None:
        where += " AND s.commune_id = ANY(%(communes)s)"
        params["communes"] = sorted(communes)
    return Paginator(_PublicOccurrences(where, params), PUBLIC_PAGE_SIZE).get_page(page)


def offered_counts(start: date, end: date) -> dict:
    """Occurrences offered over [start, end]: in all, per professional id, per ISO week (counted
    by the database)."""
    params = {"start": start, "end": end}
    per_professional = dict(
        _query(_OCCURRENCES.format(columns="s.professional_id, count(*)", where="") + " GROUP BY 1", params)
    )
    per_week = dict(
        _query(
            _OCCURRENCES.format(columns="""to_char(s.day, 'IYYY-"W"IW'), count(*)""", where="")
            + " GROUP BY 1",
            params,
        )
    )
    return {
        "total": sum(per_professional.values()),
        "per_professional": per_professional,
        "per_week": per_week,
    }


def count_slots_offered(start: date, end: date) -> int:
    return _query(_OCCURRENCES.format(columns="count(*)", where=""), {"start": start, "end": end})[0][0]


def count_professionals_offering(start: date, end: date) -> int:
    sql = _OCCURRENCES.format(columns="count(DISTINCT s.professional_id)", where="")
    return _query(sql, {"start": start, "end": end})[0][0]


def fhir_week(monday: date, *, base_url: str) -> dict:
    """The week's slots as a FHIR R4 ``Bundle`` of ``Schedule`` (one per professional and place)
    and ``Slot`` (one per occurrence, status ``free``), shaped after the national SAS agenda flux:
    a shape to exchange, not a live connection (docs/roster.md)."""
    found = occurrences(monday, monday + timedelta(days=6))
    schedules: dict[tuple, dict] = {}
    entries = []
    for occurrence in found:
        key = (occurrence.professional_id, occurrence.place_name, occurrence.commune_id)
        if key not in schedules:
            schedule_id = f"schedule-{occurrence.professional_id}-{occurrence.slot_id}"
            schedules[key] = {
                "resourceType": "Schedule",
                "id": schedule_id,
                "active": True,
                "serviceType": [{"text": "Soins non programmés"}],
                "actor": [
                    {"display": occurrence.place_name},
                    {"reference": f"Practitioner/{occurrence.professional_id}"},
                ],
                "comment": f"{occurrence.address}, {occurrence.commune_name} — {occurrence.phone}",
            }
            entries.append({"fullUrl": f"{base_url}Schedule/{schedule_id}", "resource": schedules[key]})
        slot_id = f"slot-{occurrence.slot_id}-{occurrence.day:%Y%m%d}"
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
                    "serviceType": [{"text": occurrence.kind_label}],
                },
            }
        )
    return {"resourceType": "Bundle", "type": "collection", "total": len(entries), "entry": entries}
