"""Directory search latency: 100,000 entries in one CPTS, typical queries through the search
service (first page + count, as the directory page does), next to a naive accent-insensitive
``ILIKE '%q%'`` scan on the same data.

    python infra/dev/runtime.py --data .data/bench-dir --fresh -- sh -c \
        '.venv/bin/python manage.py migrate_platform && .venv/bin/python benchmarks/directory_search.py --quick'

Goal: p95 <= 30 ms and >= 10x faster than the naive scan. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from _directory_setup import setup_community

QUERIES = [
    "kine", "st etienne", "martin", "medecin generaliste", "infirmiere saint chamond", "pharmacie",
    "dupond", "kinesiterapeute", "ortho", "psychologue roanne", "sage femme", "dentiste firminy",
]  # fmt: skip
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
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
]  # fmt: skip
PROFESSIONS = [
    ("10", "Médecin", "SM53", "Spécialiste en Médecine Générale"), ("10", "Médecin", "SM04", "Cardiologie"),
    ("21", "Pharmacien", "", ""), ("40", "Chirurgien-Dentiste", "", ""), ("50", "Sage-Femme", "", ""),
    ("60", "Infirmier", "", ""), ("70", "Masseur-Kinésithérapeute", "", ""), ("91", "Orthophoniste", "", ""),
    ("93", "Psychologue", "", ""),
]  # fmt: skip


def populate(n: int) -> None:
    from django.db import connection

    from apps.directory.models import Entry, Place
    from apps.directory.search import index_entry, rebuild_vocabulary
    from apps.geo.models import Commune

    if Entry.objects.count() >= n:
        return
    Entry.objects.all().delete()
    rng = random.Random(42)
    communes = list(Commune.objects.filter(department="42", kind="commune").order_by("-population")[:80])
    batch = 5000
    for start in range(0, n, batch):
        entries, places = [], []
        for i in range(start, min(n, start + batch)):
            commune = communes[min(int(rng.expovariate(0.08)), len(communes) - 1)]
            if i % 10 == 9:
                name = f"Pharmacie {rng.choice(LAST)} {i}"
                entry = Entry(
                    kind="structure", family="pharmacy", name=name, finess_category="Pharmacie d'Officine"
                )
            else:
                code, label, skill_code, skill = rng.choice(PROFESSIONS)
                first, last = rng.choice(FIRST), rng.choice(LAST)
                entry = Entry(
                    kind="professional", family="liberal", name=f"{first} {last}", first_name=first,
                    last_name=last, profession_code=code, profession=label, specialty_code=skill_code, specialty=skill,
                    accepts_new_patients=rng.random() < 0.3,
                )  # fmt: skip
            place = Place(
                entry=entry, city=commune.name, postcode=commune.postcodes[0], commune_id=commune.code
            )
            index_entry(entry, [place])
            entries.append(entry)
            places.append(place)
        Entry.objects.bulk_create(entries)
        for place in places:
            place.entry_id = place.entry.pk
        Place.objects.bulk_create(places)
    rebuild_vocabulary()
    with connection.cursor() as cursor:
        for table in ("directory_entry", "directory_place", "directory_searchword"):
            cursor.execute(f"ANALYZE {table}")


def timed(run, repeat: int) -> list[float]:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="20,000 entries, 3 runs per query")
    options = parser.parse_args()
    entries = 20_000 if options.quick else options.entries
    repeat = 3 if options.quick else options.repeat

    community = setup_community("bench-annuaire")
    from django_tenants.utils import schema_context

    from apps.directory.search import naive_search, search_entries

    with schema_context(community.schema_name):
        start = time.perf_counter()
        populate(entries)
        print(f"{entries} entries ready in {time.perf_counter() - start:.1f} s", flush=True)
        ours, naive = [], []
        for query in QUERIES:

            def search(query=query):
                results = search_entries(query)
                return list(results[:20]), results.count()

            def scan(query=query):
                results = naive_search(query)
                return list(results[:20]), results.count()

            mine, base = timed(search, repeat), timed(scan, repeat)
            page, count = search()
            print(
                f"{query!r:28} {count:6d} results  search p50 {statistics.median(mine):7.2f} ms"
                f"  naive p50 {statistics.median(base):7.2f} ms  first: {page[0].name if page else '—'}",
                flush=True,
            )
            ours += mine
            naive += base
    value, floor = p95(ours), p95(naive)
    ratio = floor / value if value else 0.0
    print(
        json.dumps(
            {
                "benchmark": "directory_search",
                "metric": "p95_ms",
                "value": round(value, 2),
                "p50_ms": round(statistics.median(ours), 2),
                "floor": round(floor, 2),
                "floor_is": "naive ILIKE scan p95 (ms)",
                "naive_p50_ms": round(statistics.median(naive), 2),
                "ratio": round(ratio, 1),
                "entries": entries,
                "queries": len(QUERIES) * repeat,
                "goal": "p95 <= 30 and >= 10x faster than naive",
                "met": value <= 30 and ratio >= 10,
            }
        )
    )


if __name__ == "__main__":
    main()
