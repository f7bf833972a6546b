"""Rebuild ``communes.csv.gz`` (the national communes reference shipped with the project).

Upstream: the npm package ``@etalab/decoupage-administratif`` (code MIT, data Licence Ouverte /
Etalab 2.0, sources INSEE "Code officiel géographique" and "populations de référence"). Usage::

    cd /tmp && npm pack @etalab/decoupage-administratif && tar xzf etalab-decoupage-administratif-*.tgz
    python apps/geo/data/build_communes.py /tmp/package/data/communes.json

Only current communes and the municipal arrondissements of Paris, Lyon and Marseille are kept;
the codes of delegated/associated communes and former codes become ``aliases`` of the current
commune they belong to, so a national register using an old code still lands in the right place.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

OUTPUT = Path(__file__).with_name("communes.csv.gz")
COLUMNS = [
    "code",
    "name",
    "kind",
    "parent_code",
    "department",
    "region",
    "postcodes",
    "population",
    "aliases",
]
KINDS = {"commune-actuelle": "commune", "arrondissement-municipal": "arrondissement"}


def build(source: Path, output: Path = OUTPUT) -> int:
    records = json.loads(source.read_text(encoding="utf-8"))
    current = {r["code"] for r in records if r["type"] == "commune-actuelle"}
    aliases: dict[str, set[str]] = defaultdict(set)
    for record in records:
        if record["type"] in ("commune-deleguee", "commune-associee") and record.get("chefLieu"):
            if record["code"] not in current:
                aliases[record["chefLieu"]].add(record["code"])
        for old in record.get("anciensCodes", []):
            if old not in current:
                aliases[record["code"]].add(old)
    rows = []
    for record in records:
        kind = KINDS.get(record["type"])
        if kind is None:
            continue
        rows.append(
            [
                record["code"],
                record["nom"],
                kind,
                record.get("commune", ""),
                record["departement"],
                record.get("region", ""),
                " ".join(record.get("codesPostaux", [])),
                record.get("population", 0),
                " ".join(sorted(aliases.get(record["code"], ()))),
            ]
        )
    rows.sort(key=lambda row: row[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    # mtime=0: the same upstream gives a byte-identical file (clean diffs, stable checksum).
    with open(output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buffer.getvalue().encode("utf-8"))
    return len(rows)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    count = build(Path(sys.argv[1]))
    print(f"{count} communes written to {OUTPUT}")
