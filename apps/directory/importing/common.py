"""What both importers share: the report, the imported record, line decoding, the writer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.geo.models import Commune
from apps.geo.selectors import get_communes, reference_codes

from ..models import Entry, Place
from ..search import index_entry

# Rejected lines kept in a report (the count is always exact).
MAX_REPORTED_LINES = 500
# A file whose lines are malformed beyond this share is not the expected file: nothing is imported.
BROKEN_SHARE = 0.05
BROKEN_MIN_LINES = 20
# Rejected lines shown with the reason a file is refused.
SHOWN_ON_REFUSAL = 10
# Entries written per round trip (measured: larger batches bring nothing on 30-commune territories).
BATCH = 500
# Entries missing from a new file are withdrawn, unless more than this share of those the file
# used to describe are missing (and more than a handful): then the file looks partial.
WITHDRAW_MAX_SHARE = 0.3
WITHDRAW_ALWAYS_UP_TO = 20

ProgressCallback = Callable[[int], None]


class BrokenFile(Exception):
    """The file is not (a complete) file of the expected kind: nothing is imported.

    ``rejected`` holds the first rejected lines (``{"line": n, "reason": …}``) that show why.
    """

    def __init__(self, message: str, rejected: Iterable[dict] = ()):
        super().__init__(message)
        self.rejected = list(rejected)[:SHOWN_ON_REFUSAL]

    def describe(self) -> str:
        """The reason, then the first rejected lines, one a line."""
        lines = [str(self)]
        if self.rejected:
            lines.append(_("Premières lignes rejetées :"))
            lines += [
                _("ligne %(line)d : %(reason)s") % {"line": r["line"], "reason": r["reason"]}
                for r in self.rejected
            ]
        return "\n".join(lines)


@dataclass
class ImportReport:
    """What an import did with one file. ``lines_read`` counts data lines (not the first line,
    which names the columns or the extract); rejected lines keep their line number in the file."""

    file: str
    lines_read: int = 0
    kept: int = 0
    outside_territory: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    rejected_count: int = 0
    rejected: list[dict] = field(default_factory=list)
    # Of the rejected lines, those without the expected layout (wrong number of fields, unknown
    # section): unreadable wherever they are, unlike a line of the territory with a bad value.
    malformed: int = 0
    warnings: list[str] = field(default_factory=list)
    # Entries of the territory the file still lists, on a line rejected for another reason than
    # their identifier (a missing name…): not imported, but never withdrawn for it.
    still_listed: set[tuple[str, str]] = field(default_factory=set)

    def reject(self, line: int, reason: str, *, malformed: bool = False) -> None:
        self.rejected_count += 1
        self.malformed += malformed
        if len(self.rejected) < MAX_REPORTED_LINES:
            self.rejected.append({"line": line, "reason": reason})

    def check_usable(self) -> None:
        """Refuse the whole file (raise BrokenFile: nothing is written) when it is not a usable
        extract: malformed lines beyond the tolerated share (5 % and at least 20) or a majority of
        them; no data line; no line of the territory kept; or more lines of the territory rejected
        than kept. A few bad lines in a good file are only rejected one by one."""
        data, malformed = self.lines_read, self.malformed
        if (malformed >= BROKEN_MIN_LINES and malformed > BROKEN_SHARE * data) or 2 * malformed > data > 0:
            raise BrokenFile(
                _("%(bad)d lignes sur %(total)d n'ont pas le format attendu : fichier inutilisable.")
                % {"bad": malformed, "total": data},
                self.rejected,
            )
        if data == 0:
            raise BrokenFile(_("Le fichier ne contient aucune ligne de données."))
        rejected_here = self.rejected_count - malformed
        if self.kept == 0 and self.rejected_count:
            raise BrokenFile(
                ngettext(
                    "Aucune ligne utilisable : %(bad)d ligne rejetée et aucune retenue. "
                    "Vérifiez que c'est bien l'extrait attendu.",
                    "Aucune ligne utilisable : les %(bad)d lignes sont rejetées et aucune n'est "
                    "retenue. Vérifiez que c'est bien l'extrait attendu.",
                    self.rejected_count,
                )
                % {"bad": self.rejected_count},
                self.rejected,
            )
        if self.kept == 0:
            raise BrokenFile(
                ngettext(
                    "La ligne du fichier ne concerne pas les communes du territoire : vérifiez le "
                    "fichier (extrait national complet ou de votre région) et la liste des communes.",
                    "Aucune des %(total)d lignes ne concerne les communes du territoire : vérifiez "
                    "le fichier (extrait national complet ou de votre région) et la liste des communes.",
                    data,
                )
                % {"total": data}
            )
        if rejected_here > self.kept:
            raise BrokenFile(
                _(
                    "La plupart des lignes de vos communes sont rejetées (%(bad)d sur %(total)d) : "
                    "fichier refusé. Vérifiez que c'est bien l'extrait attendu, complet."
                )
                % {"bad": rejected_here, "total": rejected_here + self.kept},
                self.rejected,
            )

    def as_dict(self) -> dict:
        report = asdict(self)
        del report["still_listed"]
        return report


@dataclass
class ImportedEntry:
    """One entry as a national file describes it (fields of Entry, and its places)."""

    identifier_type: str
    identifier: str
    kind: str
    family: str
    source: str
    fields: dict
    places: list[dict] = field(default_factory=list)

    def add_place(self, place: dict) -> None:
        if all(existing["source_key"] != place["source_key"] for existing in self.places):
            self.places.append(place)

    def fingerprint(self) -> str:
        payload = {"kind": self.kind, "family": self.family, "fields": self.fields, "places": self.places}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def decode(raw: bytes) -> str:
    """A line of a national file: UTF-8, or Windows-1252 for older extracts."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def place_key(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()


def write_entries(records: Iterable[ImportedEntry], report: ImportReport) -> set[tuple[str, str]]:
    """Create, update or leave alone each record's entry. Fields the team edited by hand
    (``Entry.locked_fields``) are kept; so are places when ``"places"`` is locked. An entry that
    had been withdrawn comes back. Returns the (identifier type, identifier) of every record. Caller
    owns the transaction."""
    batch: list[ImportedEntry] = []
    seen: set[tuple[str, str]] = set()
    for record in records:
        batch.append(record)
        seen.add((record.identifier_type, record.identifier))
        if len(batch) >= BATCH:
            _write_batch(batch, report)
            batch = []
    if batch:
        _write_batch(batch, report)
    return seen


def withdraw_missing(
    identifier_types: Iterable[str],
    seen: set[tuple[str, str]],
    report: ImportReport,
    *,
    complete: bool = False,
) -> None:
    """Withdraw the entries an import brought that this complete file no longer lists in the
    territory (``seen``). A file missing too many of them looks partial (a filtered or truncated
    extract): then nothing is withdrawn and the report says why. Caller owns the transaction."""
    listed = (
        Entry.objects.filter(identifier_type__in=list(identifier_types), withdrawn_at__isnull=True)
        .exclude(imported_hash="")
        .values_list("pk", "identifier_type", "identifier")
    )
    listed = list(listed)
    missing = [pk for pk, identifier_type, identifier in listed if (identifier_type, identifier) not in seen]
    if (
        not complete
        and len(missing) > WITHDRAW_ALWAYS_UP_TO
        and len(missing) > WITHDRAW_MAX_SHARE * len(listed)
    ):
        report.warnings.append(
            _(
                "%(missing)d fiches importées auparavant sont absentes de ce fichier (%(share)d %%) : "
                "il semble partiel, elles ont été gardées. Importez l'extrait national complet pour "
                "retirer celles qui n'y figurent plus."
            )
            % {"missing": len(missing), "share": round(100 * len(missing) / len(listed))}
        )
        return
    Entry.objects.filter(pk__in=missing).update(withdrawn_at=timezone.now())
    report.withdrawn = len(missing)


def _write_batch(batch: list[ImportedEntry], report: ImportReport) -> None:
    assert transaction.get_connection().in_atomic_block, "imports write inside one transaction"
    by_type: dict[str, list[str]] = {}
    for record in batch:
        by_type.setdefault(record.identifier_type, []).append(record.identifier)
    existing: dict[tuple[str, str], Entry] = {}
    for identifier_type, identifiers in by_type.items():
        for entry in Entry.objects.filter(identifier_type=identifier_type, identifier__in=identifiers):
            existing[(entry.identifier_type, entry.identifier)] = entry
    # A former or delegated code lands on today's commune; an arrondissement stays itself (the
    # most precise place: it lies within its city wherever the territory is used).
    references = reference_codes({p["commune_code"] for r in batch for p in r.places})
    known = get_communes(set(references.values()))
    communes = {code: known[reference] for code, reference in references.items() if reference in known}
    now = timezone.now()
    to_create: list[tuple[Entry, ImportedEntry]] = []
    to_update: list[tuple[Entry, ImportedEntry, bool]] = []
    for record in batch:
        fingerprint = record.fingerprint()
        entry = existing.get((record.identifier_type, record.identifier))
        if entry is None:
            entry = Entry(
                identifier_type=record.identifier_type,
                identifier=record.identifier,
                kind=record.kind,
                family=record.family,
                source=record.source,
                imported_hash=fingerprint,
                created_at=now,
                updated_at=now,
                **record.fields,
            )
            to_create.append((entry, record))
            continue
        if entry.imported_hash == fingerprint and entry.withdrawn_at is None:
            report.unchanged += 1
            continue
        entry.withdrawn_at = None
        locked = set(entry.locked_fields)
        for name, value in {"kind": record.kind, "family": record.family, **record.fields}.items():
            if name not in locked:
                setattr(entry, name, value)
        entry.imported_hash = fingerprint
        entry.updated_at = now
        to_update.append((entry, record, "places" not in locked))

    if to_create:
        places = []
        for entry, record in to_create:
            entry_places = _places(entry, record, communes)
            index_entry(entry, entry_places)
            places += entry_places
        Entry.objects.bulk_create([entry for entry, _record in to_create])
        for place in places:
            place.entry_id = place.entry.pk
        Place.objects.bulk_create(places)
        report.created += len(to_create)

    if to_update:
        replace = [entry.pk for entry, _record, replace_places in to_update if replace_places]
        Place.objects.filter(entry_id__in=replace).exclude(source_key="").delete()
        places = []
        for entry, record, replace_places in to_update:
            if replace_places:
                entry_places = _places(entry, record, communes)
                places += entry_places
                manual = list(entry.places.filter(source_key=""))
                index_entry(entry, entry_places + manual)
            else:
                index_entry(entry, list(entry.places.all()))
        Place.objects.bulk_create(places)
        fields = [
            "kind",
            "family",
            *batch[0].fields.keys(),
            "imported_hash",
            "withdrawn_at",
            "updated_at",
            "search_title",
            "search_document",
        ]
        Entry.objects.bulk_update(
            [entry for entry, _record, _replace in to_update], list(dict.fromkeys(fields))
        )
        report.updated += len(to_update)


def _places(entry: Entry, record: ImportedEntry, communes: dict[str, Commune]) -> list[Place]:
    places = []
    for position, data in enumerate(record.places):
        commune = communes.get(data["commune_code"])
        places.append(
            Place(
                entry=entry,
                position=position,
                source_key=data["source_key"],
                name=data.get("name", ""),
                address=data.get("address", ""),
                postcode=data.get("postcode", ""),
                commune_id=commune.code if commune else None,
                city=data.get("city") or (commune.name if commune else ""),
                phone=data.get("phone", ""),
                email=data.get("email", ""),
                latitude=data.get("latitude"),
                longitude=data.get("longitude"),
            )
        )
    return places
