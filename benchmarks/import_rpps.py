"""Import of a national-size Annuaire Santé professionals file for a 30-commune territory.

Generates ``--rows`` lines (default 2.2 M, the national extract's size, 56 columns, UTF-8,
trailing ``|``) with communes drawn by population over the whole country, then imports it into
one CPTS in a child process and reports its wall time and peak memory (max RSS), next to the
time to merely read the file line by line (the I/O floor).

    python infra/dev/runtime.py --data .data/bench-import --fresh -- sh -c \
        '.venv/bin/python manage.py migrate_platform && .venv/bin/python benchmarks/import_rpps.py --quick'

Goal: <= 60 s and <= 300 MB peak. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from _directory_setup import setup_community

from tenants.actors import SYSTEM

ROOT = Path(__file__).resolve().parents[1]
SLUG = "bench-import"
FIRST = [
    "Marie",
    "Jean",
    "Hélène",
    "François",
    "Zoé",
    "Luc",
    "Chloé",
    "Noël",
    "Inès",
    "Jérôme",
    "Anaïs",
    "Paul",
]
LAST = [
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "PETIT",
    "DURAND",
    "LEFÈVRE",
    "D'ALMEIDA",
    "NGUYEN",
]
PROFESSIONS = [
    ("10", "Médecin", "SM53", "Spécialiste en Médecine Générale"), ("21", "Pharmacien", "", ""),
    ("40", "Chirurgien-Dentiste", "", ""), ("50", "Sage-Femme", "", ""), ("60", "Infirmier", "", ""),
    ("70", "Masseur-Kinésithérapeute", "", ""), ("91", "Orthophoniste", "", ""), ("93", "Psychologue", "", ""),
]  # fmt: skip


def generate(path: Path, rows: int, communes: list[tuple[str, str, str, int]]) -> None:
    """Write the file: one row per professional × place, communes weighted by population."""
    from stdnum import luhn

    from tests.factories.directory_files import RPPS_HEADER_56

    rng = random.Random(7)
    codes = rng.choices(communes, weights=[c[3] for c in communes], k=rows)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("|".join(RPPS_HEADER_56) + "|\r\n")
        for i in range(rows):
            code, postcode, city, _population = codes[i]
            body = f"10{(i // 2) % 10**8:08d}"  # two places per professional on average
            rpps = body + luhn.calc_check_digit(body)
            prof, label, skill_code, skill = PROFESSIONS[i % len(PROFESSIONS)]
            first, last = FIRST[i % 12], LAST[(i * 7) % 10]
            out.write(
                f"8|{rpps}|8{rpps}|DR|Docteur|M|Monsieur|{last}|{first}|{prof}|{label}|C|Civil|"
                f"{'S' if skill_code else ''}|{'Spécialité ordinale' if skill_code else ''}|{skill_code}|{skill}|"
                f"L|Libéral|||||S{i % 99991}|CABINET {last}||||{i % 120}||R|Rue|de la République l'Éclair||"
                f"|{postcode}|{code}|{city}|99000|France|04{i % 10**8:08d}|||cabinet{i}@exemple.fr|"
                f"{code[:2]}|Département|||SA07|Cabinet individuel|||FON-01|Titulaire|GENR01|Activité standard|\r\n"
            )


def child(path: str) -> None:
    """Import ``path`` for the benchmark CPTS; print wall time, peak RSS and the report as JSON."""
    import os

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")
    import django

    django.setup()
    from django_tenants.utils import schema_context

    from apps.directory.importing import run_import

    with schema_context(SLUG):
        start = time.perf_counter()
        report = run_import(actor=None, rpps_path=path)["rpps"]
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report.pop("rejected")
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "report": report}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_200_000)
    parser.add_argument("--quick", action="store_true", help="200,000 rows")
    parser.add_argument("--file", default=str(ROOT / ".data" / "bench-rpps.txt"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return
    rows = 200_000 if options.quick else options.rows
    community = setup_community(SLUG)
    from django_tenants.utils import schema_context

    from apps.directory.models import Entry
    from apps.geo.models import Commune
    from apps.territory import services as territory_services
    from apps.territory.models import TerritoryCommune

    national = [
        (c.code, (c.postcodes or [""])[0], c.name.upper(), max(c.population, 1))
        for c in Commune.objects.filter(is_current=True).exclude(
            kind="commune", code__in=["75056", "69123", "13055"]
        )
    ]
    # A 30-commune territory around Saint-Étienne (Loire), a typical CPTS of ~280,000 inhabitants.
    territory = list(
        Commune.objects.filter(department="42", kind="commune")
        .order_by("-population")
        .values_list("code", flat=True)[:30]
    )
    with schema_context(community.schema_name):
        TerritoryCommune.objects.all().delete()
        Entry.objects.all().delete()
        territory_services.add_communes(actor=SYSTEM, codes=territory)

    path = Path(options.file)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    generate(path, rows, national)
    size_mb = path.stat().st_size / 1e6
    print(f"generated {rows} rows ({size_mb:.0f} MB) in {time.perf_counter() - start:.1f} s", flush=True)

    start = time.perf_counter()
    with open(path, "rb") as stream:
        for _line in stream:
            pass
    floor = time.perf_counter() - start
    print(f"read line by line (floor): {floor:.2f} s", flush=True)

    runs = []
    for label in ("first import", "second import (unchanged)"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)], check=True, capture_output=True, text=True
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        runs.append(result)
        print(
            f"{label}: {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB, {result['report']}",
            flush=True,
        )
    path.unlink()
    first = runs[0]
    print(
        json.dumps(
            {
                "benchmark": "import_rpps",
                "metric": "wall_s",
                "value": round(first["seconds"], 2),
                "floor": round(floor, 2),
                "floor_is": "reading the file line by line (s)",
                "ratio": round(first["seconds"] / floor, 1) if floor else None,
                "peak_mb": round(max(r["peak_mb"] for r in runs), 1),
                "second_import_s": round(runs[1]["seconds"], 2),
                "rows": rows,
                "file_mb": round(size_mb),
                "kept": first["report"]["kept"],
                "created": first["report"]["created"],
                "second_unchanged": runs[1]["report"]["unchanged"],
                "goal": "<= 60 s and <= 300 MB peak",
                "met": first["seconds"] <= 60 and max(r["peak_mb"] for r in runs) <= 300,
            }
        )
    )


if __name__ == "__main__":
    main()
