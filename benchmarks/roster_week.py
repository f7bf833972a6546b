"""The SNP roster at size: a CPTS with ~300 professionals and a few thousand slots.

Run inside the embedded runtime, e.g.:
    python infra/dev/runtime.py --data .data/bench-roster --fresh -- sh -c \\
        'python manage.py migrate_platform && python benchmarks/roster_week.py --quick'

Measures, through the whole middleware stack (test client), (1) the team's week grid
``/equipe/snp/`` (every commune × day, the occurrences of the week, the volunteers' count) as a
team member, and (2) the public page ``/soins-non-programmes/`` (today's and the week's points)
as a visitor, each next to its floor: the same page's SQL statements alone, replayed on the same
connection. Half the professionals accept gap requests; none is dues-exempt, so their standing is
read from the dues as in a real CPTS. Prints one JSON line last (CONVENTIONS.md): the grid's p95
(``value``) and the public page's (``public_p95_ms``), each with its floor. The bench CPTS is
deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")

COMMUNES = (
    "45315",
    "45297",
    "45270",
    "45244",
    "45051",
    "45042",
    "45290",
    "45122",
    "45153",
    "45063",
    "45336",
    "45164",
)
GRID_GOAL_MS = 100
PUBLIC_GOAL_MS = 50


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(int(round(0.95 * len(ordered))) - 1, 0)]


def measure(client, url: str, samples: int, slug: str):
    """(page p95, floor p95, statements): the page through the client, then its SELECTs alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page_ms = []
    for _ in range(samples):
        began = time.perf_counter()
        response = client.get(url)
        page_ms.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    statements = [
        q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    floor_ms = []
    with schema_context(slug):
        for _ in range(samples):
            began = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    cursor.fetchall()
            floor_ms.append((time.perf_counter() - began) * 1000)
    return page_ms, floor_ms, statements, len(response.content)


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
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import DatabaseError, connection
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tenants.utils import schema_context

    from apps.accounts.middleware import SESSION_COMMUNITY_KEY
    from apps.members.models import Membership
    from apps.professionals.models import AccountCommunity, ProfessionalProfile
    from apps.roster.models import RosterProfile, Slot
    from apps.territory.models import TerritoryCommune
    from tenants.models import Community
    from tenants.provisioning import CommunityRequest, provision_community

    rng = random.Random(2026)  # noqa: S311
    stamp = int(time.time())
    slug = f"snp{stamp}"
    users = get_user_model().objects
    unusable = make_password(None)
    operator = users.create_user(f"op{stamp}@bench.test", None, is_operator=True)
    provision_community(
        actor=operator,
        request=CommunityRequest(slug=slug, name="CPTS Banc SNP", admin_email=f"admin{stamp}@bench.test"),
    )
    host = f"{slug}.localhost"
    team = users.create_user(f"team{stamp}@bench.test", None)
    pros = users.bulk_create(
        [
            get_user_model()(email=f"pro{stamp}-{i}@bench.test", password=unusable, last_name=f"Pro{i}")
            for i in range(options.professionals)
        ]
    )
    ProfessionalProfile.objects.bulk_create(
        ProfessionalProfile(user=p, profession="10", practice_mode="L", practice_place="Cabinet", commune="Sully", identifier_type="none")
        for p in pros
    )  # fmt: skip
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    try:
        with schema_context(slug):
            TerritoryCommune.objects.bulk_create(TerritoryCommune(commune_id=code) for code in COMMUNES)
            Membership.objects.create(user=team, role="team")
            Membership.objects.bulk_create(Membership(user=p, role="member") for p in pros)
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

        team_client = Client(HTTP_HOST=host)
        team_client.force_login(team)
        device = TOTPDevice.objects.create(user=team, confirmed=True, name="bench")
        session = team_client.session
        session[SESSION_COMMUNITY_KEY] = slug
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        grid = measure(team_client, "/equipe/snp/", options.samples, slug)
        public = measure(Client(HTTP_HOST=host), "/soins-non-programmes/", options.samples, slug)
        if options.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(10):
                team_client.get("/equipe/snp/")
                Client(HTTP_HOST=host).get("/soins-non-programmes/")
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        with schema_context(slug):
            slot_count = Slot.objects.count()
    finally:
        connection.set_schema_to_public()
        Community.objects.filter(schema_name=slug).first().delete(force_drop=True)
        ids = list(
            users.filter(email__endswith="@bench.test", email__contains=str(stamp)).values_list(
                "pk", flat=True
            )
        )
        ProfessionalProfile.objects.filter(user_id__in=ids).delete()
        TOTPDevice.objects.filter(user_id__in=ids).delete()
        AccountCommunity.objects.filter(user_id__in=ids).delete()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {get_user_model()._meta.db_table} WHERE id = ANY(%s)", [ids])
        except DatabaseError as error:
            print(f"bench accounts left in place: {error}")

    results = {}
    for name, (page_ms, floor_ms, statements, size) in (("grid", grid), ("public", public)):
        results[name] = (p95(page_ms), p95(floor_ms))
        print(
            f"{name}: p95 {p95(page_ms):.1f} ms, median {statistics.median(page_ms):.1f} ms; its SQL alone "
            f"({len(statements)} SELECT) p95 {p95(floor_ms):.1f} ms; page {size // 1024} KiB"
        )
    (grid_p95, grid_floor), (public_p95, public_floor) = results["grid"], results["public"]
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
                "professionals": options.professionals,
                "slots": slot_count,
                "quick": options.quick,
                "load_1min": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
