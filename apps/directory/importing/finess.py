"""The FINESS establishments extract (``etalab-cs1100507-stock-*.csv``).

``;``-separated, Windows-1252, no header: line 1 is ``finess;etalab;<n>;<date>``, then
``structureet`` lines (32 fields), then ``geolocalisation`` lines with projected coordinates whose
system is named in the ``source`` field; they are converted to latitude/longitude with pyproj.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import BinaryIO

from django.utils.translation import gettext as _
from pyproj import Transformer

from apps.professionals.models import IdentifierType

from ..codes import (
    FINESS_FAMILIES,
    digits,
    finess_insee_code,
    is_valid_finess,
    is_valid_siret,
    normalize_phone,
)
from ..models import Family, Kind, Source
from .common import BrokenFile, ImportedEntry, ImportReport, ProgressCallback, decode, place_key

STRUCTURE_FIELDS = [
    "section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
    "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
    "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret",
    "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai",
]  # fmt: skip
GEO_FIELDS = ["section", "nofinesset", "x", "y", "source", "date"]
PROGRESS_EVERY = 50_000

# Projection named in ``source`` (keyword or explicit EPSG code) → EPSG code. WGS 84 / UTM zones are
# within a metre of the overseas RGAF09/RGFG95/RGR92/RGM04 realisations at a directory's scale.
_CRS_KEYWORDS = {
    "LAMBERT_93": 2154,
    "LAMBERT93": 2154,
    "UTM_N20": 32620,
    "UTM_N21": 32621,
    "UTM_N22": 32622,
    "UTM_S40": 32740,
    "UTM_S38": 32738,
}
# When ``source`` names nothing we know: the usual projection of the département.
_CRS_BY_DEPARTEMENT = {"9A": 32620, "9B": 32620, "9C": 32622, "9D": 32740, "9E": 32621, "9F": 32738}
_EPSG = re.compile(r"EPSG[:_ ]?(\d{4,5})", re.IGNORECASE)
_POSTCODE_CITY = re.compile(r"^(\d{5})\s+(.*)$")


@lru_cache(maxsize=16)
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)


def crs_of(source: str, departement: str) -> int:
    match = _EPSG.search(source or "")
    if match:
        return int(match.group(1))
    upper = (source or "").upper()
    for keyword, epsg in _CRS_KEYWORDS.items():
        if keyword in upper:
            return epsg
    return _CRS_BY_DEPARTEMENT.get(departement.upper(), 2154)


def to_latlon(x: float, y: float, epsg: int) -> tuple[float, float]:
    lon, lat = _transformer(epsg).transform(x, y)
    return round(lat, 6), round(lon, 6)


def parse_finess(
    stream: BinaryIO,
    territory: set[str],
    report: ImportReport,
    progress: ProgressCallback | None = None,
) -> list[ImportedEntry]:
    """Read the whole file; return the structures of ``territory`` (INSEE codes). Raises BrokenFile."""
    first = stream.readline()
    if not decode(first).lstrip("\ufeff").lower().startswith("finess;etalab"):
        raise BrokenFile(
            _("Ce n'est pas un fichier FINESS (la première ligne doit commencer par « finess;etalab »).")
        )
    kept: dict[str, tuple[ImportedEntry, str]] = {}
    read = len(first)
    line_no = not_data = 1  # the first line is not data
    for raw in stream:
        line_no += 1
        read += len(raw)
        if progress and line_no % PROGRESS_EVERY == 0:
            progress(read)
        text = decode(raw.rstrip(b"\r\n"))
        if not text.strip():
            not_data += 1
            continue
        values = text.split(";")
        section = values[0]
        if section == "structureet":
            if len(values) == len(STRUCTURE_FIELDS) + 1 and not values[-1].strip():
                values.pop()  # some extracts end every line with ";"
            if len(values) != len(STRUCTURE_FIELDS):
                report.reject(
                    line_no,
                    _("%(found)d champs au lieu de %(expected)d")
                    % {"found": len(values), "expected": len(STRUCTURE_FIELDS)},
                    malformed=True,
                )
                continue
            row = dict(zip(STRUCTURE_FIELDS, (v.strip() for v in values), strict=True))
            code = finess_insee_code(row["departement"], row["commune"])
            if code not in territory:
                report.outside_territory += 1
                continue
            record = _structure(row, code, line_no, report)
            if record is not None:
                report.kept += 1
                kept[record.identifier] = (record, row["departement"])
        elif section == "geolocalisation":
            row = _geolocation(values)
            if row is None:
                report.reject(line_no, _("ligne de géolocalisation mal formée"), malformed=True)
                continue
            found = kept.get(row["nofinesset"].upper())
            if found is None:
                continue
            record, departement = found
            try:
                x, y = float(row["x"].replace(",", ".")), float(row["y"].replace(",", "."))
                lat, lon = to_latlon(x, y, crs_of(row["source"], departement))
            except (ValueError, ArithmeticError):
                report.reject(line_no, _("coordonnées illisibles : %(x)s ; %(y)s") % row)
                continue
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                report.reject(line_no, _("coordonnées hors limites"))
                continue
            record.places[0]["latitude"], record.places[0]["longitude"] = lat, lon
        else:
            report.reject(
                line_no, _("section inconnue : %(section)s") % {"section": section[:30]}, malformed=True
            )
    report.lines_read = line_no - not_data
    if progress:
        progress(read)
    report.check_usable()
    return [record for record, _dep in kept.values()]


def _geolocation(values: list[str]) -> dict[str, str] | None:
    """The fields of a ``geolocalisation`` line, or None if it has too few. Older extracts wrote
    ``source`` with ``;`` inside it (``1,ATLASANTE,100,IGN;BD_ADRESSE;V2.2;LAMBERT_93``): every field
    between the coordinates and the last one (the date) belongs to it. A trailing empty field
    (line ending with ``;``) is dropped."""
    if len(values) > len(GEO_FIELDS) and not values[-1].strip():
        values = values[:-1]
    if len(values) < len(GEO_FIELDS):
        return None
    section, number, x, y = values[:4]
    source, date = ";".join(values[4:-1]), values[-1]
    return {
        name: value.strip()
        for name, value in zip(GEO_FIELDS, (section, number, x, y, source, date), strict=True)
    }


def _structure(row: dict[str, str], insee: str, line_no: int, report: ImportReport) -> ImportedEntry | None:
    number = row["nofinesset"].upper()
    if not is_valid_finess(number):
        report.reject(line_no, _("numéro FINESS invalide : %(id)s") % {"id": number})
        return None
    name = row["rslongue"] or row["rs"]
    if not name:
        report.reject(line_no, _("raison sociale manquante"))
        report.still_listed.add((IdentifierType.FINESS, number))
        return None
    siret = digits(row["siret"])
    if siret and not is_valid_siret(siret):
        report.warnings.append(
            _("ligne %(line)d : SIRET invalide ignoré (%(siret)s)") % {"line": line_no, "siret": siret}
        )
        siret = ""
    match = _POSTCODE_CITY.match(row["ligneacheminement"])
    postcode, city = (match.group(1), match.group(2)) if match else ("", row["ligneacheminement"])
    street = " ".join(p for p in (row["numvoie"], row["typvoie"], row["voie"], row["compvoie"]) if p)
    address = ", ".join(p for p in (row["complrs"], row["compldistrib"], street, row["lieuditbp"]) if p)
    category = row["categetab"]
    return ImportedEntry(
        identifier_type=IdentifierType.FINESS,
        identifier=number,
        kind=Kind.STRUCTURE,
        family=str(FINESS_FAMILIES.get(category, Family.OTHER)),
        source=Source.FINESS,
        fields={
            "name": name,
            "finess_category_code": category,
            "finess_category": row["libcategetab"],
            "siret": siret,
        },
        places=[
            {
                "source_key": place_key(number),
                "name": "",
                "address": address,
                "postcode": postcode,
                "commune_code": insee,
                "city": city.title(),
                "phone": normalize_phone(row["telephone"]),
                "email": "",
                "latitude": None,
                "longitude": None,
            }
        ],
    )
