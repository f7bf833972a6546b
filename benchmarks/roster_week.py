"""The SNP roster at size: a CPTS with ~300 professionals and a few thousand slots.

One command (embedded runtime, fresh data dir; ``--quick`` for a small run while developing):
    python infra/dev/runtime.py --data .data/bench-roster --fresh -- sh -c \\
        'python manage.py migrate_platform && python benchmarks/roster_week.py'

Measures, through the whole middleware stack (test client), (1) the team's week grid
``/equipe/snp/`` (every commune × day, the occurrences of the week, the volunteers' count) as a
team member, and (2) the public page ``/soins-non-programmes/`` (its first page: today's and the
week's points, the whole territory) and (3) the same filtered to one commune, as a visitor; each
next to its floor: the same page's SQL statements alone, replayed on the same connection. Half the
professionals accept gap requests; none is dues-exempt, so their standing is read from the dues
as in a real CPTS. Prints one JSON line last (CONVENTIONS.md): the grid's p95 (``value``) and the
public page's (``public_p95_ms``), each with its floor. The bench CPTS is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")

GRID_GOAL_MS = 100
PUBLIC_GOAL_MS = 50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--professionals", type=int, default=300)
    parser.add_argument("--slots", type=int, default=3000, help="slots in all (about a tenth one-off)")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="60 professionals, 600 slots")
    parser.add_argument("--profile", action="store_true", help="also print where the grid spends its time")
    options = parser.parse_args()
    if options.quick:
        options.professionals, options.slots, options.samples = 60, 600, 20

    import django

    django.setup()
    from _bench_cpts import COMMUNES, bench_cpts, measure, p95, print_statements
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from apps.roster.models import RosterProfile, Slot

    rng = random.Random(2026)  # noqa: S311
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    with bench_cpts("snp", professionals=options.professionals, dues_exempt=False) as cpts:
        pros = cpts.professionals
        with schema_context(cpts.slug):
            RosterProfile.objects.bulk_create(
                RosterProfile(professional=p, accepts_gap_requests=index % 2 == 0)
                for index, p in enumerate(pros)
            )
            slots = []
            for index in range(options.slots):
                start = clock(rng.choice([8, 9, 10, 13, 14, 17, 18]), rng.choice([0, 30]))
                one_off = index % 10 == 0
                slots.append(
                    Slot(
                        professional=pros[index % len(pros)],
                        kind=rng.choice(["snp", "snp", "on_call"]),
                        place_name=f"Cabinet {index % 97}",
                        address=f"{index} rue de la Loire",
                        commune_id=rng.choice(COMMUNES[:10]),  # two communes stay uncovered: gaps
                        phone="02 38 00 00 00",
                        weekday=None if one_off else rng.randint(0, 4),
                        date=monday + timedelta(days=rng.randint(0, 13)) if one_off else None,
                        starts_at=start,
                        ends_at=clock(start.hour + 2, start.minute),
                        valid_from=monday - timedelta(days=rng.randint(0, 90)),
                        valid_until=None
                        if rng.random() < 0.8
                        else monday + timedelta(days=rng.randint(-30, 60)),
                    )
                )
            Slot.objects.bulk_create(slots, batch_size=1000)
            with connection.cursor() as cursor:
                # The steady state autovacuum keeps (statistics, visibility map), not a fresh load.
                cursor.execute(f"VACUUM ANALYZE {Slot._meta.db_table}")
            slot_count = Slot.objects.count()
        team_client = cpts.team_client()
        visitor = Client(HTTP_HOST=cpts.host)
        pages = {
            "grid": measure(team_client, "/equipe/snp/", options.samples, cpts.slug),
            "public": measure(visitor, "/soins-non-programmes/", options.samples, cpts.slug),
            "public_commune": measure(
                visitor, f"/soins-non-programmes/?commune={COMMUNES[0]}", options.samples, cpts.slug
            ),
        }
        if options.profile:
            import cProfile
            import pstats

            for name, result in pages.items():
                print(f"{name}: each SELECT alone")
                print_statements(result.statements, cpts.slug)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(10):
                team_client.get("/equipe/snp/")
                visitor.get("/soins-non-programmes/")
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)

    for name, result in pages.items():
        print(result.line(name))
    grid, public, public_commune = pages["grid"], pages["public"], pages["public_commune"]
    grid_p95, grid_floor = p95(grid.page_ms), p95(grid.floor_ms)
    public_p95, public_floor = p95(public.page_ms), p95(public.floor_ms)
    print(f"{options.professionals} professionals, {slot_count} slots; load {os.getloadavg()[0]:.2f}")
    print(
        json.dumps(
            {
                "benchmark": "roster_week",
                "metric": "p95_ms",
                "value": round(grid_p95, 1),
                "floor": round(grid_floor, 1),
                "ratio": round(grid_p95 / grid_floor, 1) if grid_floor else None,
                "goal": f"grid p95 <= {GRID_GOAL_MS} and public p95 <= {PUBLIC_GOAL_MS}",
                "met": grid_p95 <= GRID_GOAL_MS and public_p95 <= PUBLIC_GOAL_MS,
                "public_p95_ms": round(public_p95, 1),
                "public_floor": round(public_floor, 1),
                "public_ratio": round(public_p95 / public_floor, 1) if public_floor else None,
                "public_kib": public.size // 1024,
                "public_commune_p95_ms": round(p95(public_commune.page_ms), 1),
                "public_commune_floor": round(p95(public_commune.floor_ms), 1),
                "professionals": options.professionals,
                "slots": slot_count,
                "quick": options.quick,
                "load_1min": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
