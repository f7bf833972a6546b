"""Rebuild ``epcis.csv.gz`` (the intercommunalités shipped with the project, to add a whole EPCI to
a territory at once).

Upstream: the npm package ``@etalab/decoupage-administratif`` (code MIT, data Licence Ouverte /
Etalab 2.0, source DGCL « Liste et composition des EPCI à fiscalité propre »; see
``LICENCE-decoupage-administratif.txt``). Usage::

    cd /tmp && npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf etalab-decoupage-administratif-*.tgz
    python apps/geo/data/build_epcis.py /tmp/package/data/epci.json

The package has no cantons; the EPCI (communauté de communes, d'agglomération, urbaine, métropole)
is the grouping a CPTS territory usually follows.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).with_name("epcis.csv.gz")
COLUMNS = ["code", "name", "kind", "population", "members"]


def build(source: Path, output: Path = OUTPUT) -> int:
    records = json.loads(source.read_text(encoding="utf-8"))
    rows = sorted(
        [
            record["code"],
            record["nom"],
            record.get("type", ""),
            record.get("populationMunicipale") or 0,
            " ".join(sorted(member["code"] for member in record.get("membres", []))),
        ]
        for record in records
    )
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
    print(f"{count} EPCI written to {OUTPUT}")
