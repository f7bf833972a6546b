"""The Annuaire Santé professionals extract (``ps-libreacces-personne-activite.txt``).

``|``-separated, one header line, an extra ``|`` at the end of every line, UTF-8 (older files
Windows-1252), no quoting. One line per professional × place of practice. Columns are found by
name: the 52-column and 56-column generations both work.
"""

from __future__ import annotations

from typing import BinaryIO

from django.utils.translation import gettext as _

from apps.professionals.models import IdentifierType

from ..codes import digits, is_valid_adeli, is_valid_rpps, normalize_phone
from ..models import Family, Kind, Source
from .common import BrokenFile, ImportedEntry, ImportReport, ProgressCallback, decode, place_key

ID_TYPE = "Type d'identifiant PP"
ID = "Identifiant PP"
LAST_NAME = "Nom d'exercice"
FIRST_NAME = "Prénom d'exercice"
COMMUNE = "Code commune (coord. structure)"
REQUIRED = [ID_TYPE, ID, LAST_NAME, FIRST_NAME, "Code profession", "Libellé profession", COMMUNE]
OPTIONAL = [
    "Libellé civilité d'exercice",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Code mode exercice",
    "Libellé mode exercice",
    "Raison sociale site",
    "Enseigne commerciale site",
    "Identifiant technique de la structure",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)",
    "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)",
    "Libellé type de voie (coord. structure)",
    "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)",
    "Code postal (coord. structure)",
    "Libellé commune (coord. structure)",
    "Téléphone (coord. structure)",
    "Adresse e-mail (coord. structure)",
]
PROGRESS_EVERY = 50_000


def parse_rpps(
    stream: BinaryIO,
    territory: set[str],
    report: ImportReport,
    progress: ProgressCallback | None = None,
) -> list[ImportedEntry]:
    """Read the whole file; return the entries of ``territory`` (INSEE codes). Raises BrokenFile."""
    header_raw = stream.readline()
    header = decode(header_raw).lstrip("\ufeff").rstrip("\r\n").split("|")
    if header and header[-1] == "":
        header.pop()
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise BrokenFile(
            _("Ce n'est pas un fichier de l'Annuaire Santé (colonnes manquantes : %(columns)s).")
            % {"columns": ", ".join(missing)}
        )
    width = len(header)
    column = {name: header.index(name) for name in REQUIRED + OPTIONAL if name in header}
    commune_at = column[COMMUNE]
    wanted = {code.encode() for code in territory}
    entries: dict[tuple[str, str], ImportedEntry] = {}
    read = len(header_raw)
    line_no = not_data = 1  # the first line is not data
    for raw in stream:
        line_no += 1
        read += len(raw)
        if progress and line_no % PROGRESS_EVERY == 0:
            progress(read)
        line = raw.rstrip(b"\r\n")
        # Count separators instead of splitting every line: most lines are outside the territory.
        bars = line.count(b"|")
        if bars == width and line.endswith(b"|"):
            line = line[:-1]
        elif bars != width - 1:
            if not raw.strip():
                not_data += 1
            else:
                found = bars + 1 - line.endswith(b"|")
                report.reject(
                    line_no,
                    _("%(found)d colonnes au lieu de %(expected)d") % {"found": found, "expected": width},
                    malformed=True,
                )
            continue
        if line.split(b"|", commune_at + 1)[commune_at].strip() not in wanted:
            report.outside_territory += 1
            continue
        values = decode(line).split("|")
        record = _record(values, column, line_no, report)
        if record is None:
            continue
        report.kept += 1
        key = (record.identifier_type, record.identifier)
        if key in entries:
            for place in record.places:
                entries[key].add_place(place)
        else:
            entries[key] = record
    report.lines_read = line_no - not_data
    if progress:
        progress(read)
    report.check_usable()
    return list(entries.values())


def _record(values: list[str], column: dict[str, int], line_no: int, report: ImportReport):
    def get(name: str) -> str:
        at = column.get(name)
        return values[at].strip() if at is not None else ""

    id_type, identifier = get(ID_TYPE), digits(get(ID))
    if id_type == "8":
        if not is_valid_rpps(identifier):
            report.reject(line_no, _("numéro RPPS invalide : %(id)s") % {"id": identifier})
            return None
        identifier_type = IdentifierType.RPPS
    elif id_type == "0":
        if not is_valid_adeli(identifier):
            report.reject(line_no, _("numéro ADELI invalide : %(id)s") % {"id": identifier})
            return None
        identifier_type = IdentifierType.ADELI
    else:
        report.reject(line_no, _("type d'identifiant inconnu : %(type)s") % {"type": id_type or "—"})
        return None
    last_name, first_name = get(LAST_NAME), get(FIRST_NAME)
    if not last_name:
        report.reject(line_no, _("nom d'exercice manquant"))
        report.still_listed.add((identifier_type, identifier))
        return None
    street = " ".join(
        part
        for part in (
            get("Numéro Voie (coord. structure)"),
            get("Indice répétition voie (coord. structure)"),
            get("Libellé type de voie (coord. structure)"),
            get("Libellé Voie (coord. structure)"),
        )
        if part
    )
    address = ", ".join(
        part
        for part in (
            get("Complément destinataire (coord. structure)"),
            get("Complément point géographique (coord. structure)"),
            street,
            get("Mention distribution (coord. structure)"),
        )
        if part
    )
    commune = get(COMMUNE)
    site_id = get("Identifiant technique de la structure")
    place = {
        "source_key": place_key(site_id, address, commune),
        "name": get("Enseigne commerciale site") or get("Raison sociale site"),
        "address": address,
        "postcode": get("Code postal (coord. structure)"),
        "commune_code": commune,
        "city": get("Libellé commune (coord. structure)").title(),
        "phone": normalize_phone(get("Téléphone (coord. structure)")),
        "email": get("Adresse e-mail (coord. structure)").lower(),
    }
    return ImportedEntry(
        identifier_type=identifier_type,
        identifier=identifier,
        kind=Kind.PROFESSIONAL,
        family=Family.LIBERAL,
        source=Source.RPPS,
        fields={
            "name": f"{first_name} {last_name}".strip(),
            "civility": get("Libellé civilité d'exercice"),
            "last_name": last_name,
            "first_name": first_name,
            "profession_code": get("Code profession"),
            "profession": get("Libellé profession"),
            "specialty_code": get("Code savoir-faire"),
            "specialty": get("Libellé savoir-faire"),
            "practice_mode": get("Libellé mode exercice"),
        },
        places=[place],
    )
