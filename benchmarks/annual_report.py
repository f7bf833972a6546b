"""Annual activity report of a CPTS with 5 years of data: time to build it (refresh the computed
indicators, read every figure, render PDF + CSV + XLSX) next to the time of the SQL queries alone
it runs (captured during a build, then replayed raw on the same connection).

Data: 50 indicators (40 entered quarterly, 10 computed from the platform), 200 events,
2,000 registrations, 100 working-group meetings with attendance, 5 years of spending and payments.

Run inside the embedded runtime, e.g.:
    python infra/dev/runtime.py --data .data/bench-aci --fresh -- sh -c \
        'python manage.py migrate_platform && python benchmarks/annual_report.py --quick'
Prints figures, then one JSON line last (CONVENTIONS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

GOAL_SECONDS = 2.0


def seed(community, *, years: list[int], rng: random.Random) -> dict:
    """Five years of data in the current schema, with bulk inserts."""
    from django.contrib.auth import get_user_model

    from apps.aci.models import (
        Contract,
        ContractMission,
        FundingLine,
        GridMission,
        Indicator,
        IndicatorTarget,
        IndicatorValue,
        Payment,
        ReferenceGrid,
        Spending,
    )
    from apps.events.models import Event, Registration
    from apps.health_projects.models import Action, Axis, ProjectVersion
    from apps.members.models import Membership
    from apps.working_groups.models import Attendance, GroupMember, Meeting, WorkingGroup

    tz = datetime.now().astimezone().tzinfo
    users_model = get_user_model()
    tag = community.schema_name
    users = users_model.objects.bulk_create(
        [
            users_model(email=f"pro{i}@{tag}.bench", first_name=f"Pro{i}", last_name="Banc", password="!")  # noqa: S106 - unusable
            for i in range(300)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=u, role="member", joined_at=datetime(rng.choice(years), rng.randint(1, 12), 1, tzinfo=tz)
            )
            for u in users
        ]
    )

    grid = ReferenceGrid.objects.get(code="aci-cpts-2019-avenant-2")
    contract = Contract.objects.create(signed_on=date(years[0], 3, 1), grid=grid, size_override=3)
    ContractMission.objects.bulk_create(
        [
            ContractMission(
                contract=contract, mission=m.mission, start_months=m.start_months, full_months=m.full_months
            )
            for m in GridMission.objects.filter(grid=grid)
        ]
    )
    envelopes = ["operating", "access", "pathways", "prevention", "crisis", "quality", "support"]
    FundingLine.objects.bulk_create(
        [
            FundingLine(contract=contract, year=y, envelope=e, part="operating" if e == "operating" else part,
                        contracted_amount=Decimal(rng.randint(5000, 100000)))
            for y in years for e in envelopes for part in (["operating"] if e == "operating" else ["fixed", "variable"])
        ]
    )  # fmt: skip
    Payment.objects.bulk_create(
        [
            Payment(contract=contract, received_on=date(y, rng.randint(1, 12), 10), amount=Decimal(rng.randint(1000, 50000)),
                    envelope=rng.choice(envelopes), part="fixed")
            for y in years for _ in range(12)
        ]
    )  # fmt: skip
    Spending.objects.bulk_create(
        [
            Spending(spent_on=date(y, rng.randint(1, 12), rng.randint(1, 28)), amount=Decimal(rng.randint(50, 5000)),
                     envelope=rng.choice(envelopes), label=f"Dépense {i}")
            for y in years for i in range(100)
        ]
    )  # fmt: skip

    groups = WorkingGroup.objects.bulk_create(
        [WorkingGroup(name=f"Groupe {i}", lead=users[i]) for i in range(10)]
    )
    GroupMember.objects.bulk_create(
        [GroupMember(group=g, user=u) for g in groups for u in rng.sample(users, 12)], ignore_conflicts=True
    )
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(group=groups[i % 10], starts_at=datetime(years[i % 5], rng.randint(1, 12), 15, 19, tzinfo=tz),
                    agenda="Ordre du jour", minutes="Compte rendu", external_attendees=rng.randint(0, 3))
            for i in range(100)
        ]
    )  # fmt: skip
    members_by_group = {}
    for gm in GroupMember.objects.all():
        members_by_group.setdefault(gm.group_id, []).append(gm.user_id)
    Attendance.objects.bulk_create(
        [
            Attendance(meeting=m, user_id=uid, present=rng.random() < 0.7)
            for m in meetings for uid in members_by_group[m.group_id]
        ]
    )  # fmt: skip

    events = Event.objects.bulk_create(
        [
            Event(title=f"Événement {i}", starts_at=(start := datetime(years[i % 5], rng.randint(1, 12), rng.randint(1, 28), 19, tzinfo=tz)),
                  ends_at=start + timedelta(hours=2), visibility=rng.choice(["public", "members"]), capacity=30)
            for i in range(200)
        ]
    )  # fmt: skip
    Registration.objects.bulk_create(
        [
            Registration(event=e, user=u, status="confirmed", attended=rng.random() < 0.8)
            for e in events for u in rng.sample(users, 10)
        ]
    )  # fmt: skip

    version = ProjectVersion.objects.create(
        number=1,
        title="Projet de santé",
        status="validated",
        validated_on=date(years[0], 1, 15),
        validating_bodies="ARS, CPAM",
    )
    axes = Axis.objects.bulk_create(
        [Axis(version=version, mission=m, title=f"Axe {m}", position=i) for i, m in enumerate(envelopes[1:])]
    )
    Action.objects.bulk_create(
        [
            Action(axis=axes[i % len(axes)], title=f"Action {i}", owner=users[i], working_group=groups[i % 10],
                   status=rng.choice(["planned", "in_progress", "done"]), budget=Decimal(rng.randint(0, 20000)))
            for i in range(60)
        ]
    )  # fmt: skip

    sources = [
        "members",
        "events_held",
        "event_attendance",
        "meetings_held",
        "meeting_attendance",
        "active_groups",
    ]
    indicators = Indicator.objects.bulk_create(
        [
            Indicator(label=f"Indicateur {i}", mission=rng.choice(envelopes[1:]), nature=rng.choice(["means", "result"]),
                      source=sources[i % len(sources)] if i < 10 else "manual",
                      aggregation="last" if i % len(sources) == 0 and i < 10 else "sum", position=i)
            for i in range(50)
        ]
    )  # fmt: skip
    IndicatorTarget.objects.bulk_create(
        [
            IndicatorTarget(indicator=ind, year=y, target=Decimal(rng.randint(10, 500)))
            for ind in indicators
            for y in years
        ]
    )
    IndicatorValue.objects.bulk_create(
        [
            IndicatorValue(indicator=ind, period_start=date(y, 3 * q + 1, 1), period_end=date(y, 3 * q + 3, 28),
                           value=Decimal(rng.randint(0, 150)))
            for ind in indicators[10:] for y in years for q in range(4)
        ]
    )  # fmt: skip
    return {"users": len(users), "events": len(events), "registrations": Registration.objects.count(),
            "meetings": len(meetings), "indicators": len(indicators), "values": IndicatorValue.objects.count()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10, help="timed builds")
    parser.add_argument("--quick", action="store_true", help="3 timed builds (same data volume)")
    options = parser.parse_args()
    runs = 3 if options.quick else options.runs

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from apps.aci.services import produce_report
    from tenants.models import Community, Domain
    from tenants.platform_setup import migrate_everything
    from tenants.provisioning import CommunityRequest, provision_community

    migrate_everything()
    stamp = int(time.time())
    slug = f"bench-aci-{stamp}"
    rng = random.Random(6)
    report_year = datetime.now().year - 1
    years = list(range(report_year - 4, report_year + 1))
    community = provision_community(
        actor=None, request=CommunityRequest(slug=slug, name="CPTS du Banc", admin_email="a@bench.test")
    )
    try:
        connection.set_tenant(community)
        started = time.perf_counter()
        counts = seed(community, years=years, rng=rng)
        print(f"seeded {counts} in {time.perf_counter() - started:.1f} s", flush=True)

        produce_report(report_year, community=community)  # warm-up: imports, fonts, caches
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            pdf, csv_bytes, xlsx = produce_report(report_year, community=community)
            timings.append(time.perf_counter() - start)
        print(f"report: pdf {len(pdf)} B, csv {len(csv_bytes)} B, xlsx {len(xlsx)} B", flush=True)

        # Capture inside a rolled-back transaction so that every replay below starts from the very
        # state the captured queries ran against (the refresh deletes rows by id, then inserts).
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            produce_report(report_year, community=community)
            transaction.set_rollback(True)
        queries = [q["sql"] for q in captured.captured_queries]
        replay = []
        for _ in range(runs):
            with connection.cursor() as cursor:
                start = time.perf_counter()
                cursor.execute("BEGIN")
                for sql in queries:
                    if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
                        continue
                    cursor.execute(sql)
                cursor.execute("ROLLBACK")
                replay.append(time.perf_counter() - start)
        value, floor = statistics.median(timings), statistics.median(replay)
        print(
            f"build median {value * 1000:.0f} ms over {runs} runs; SQL alone ({len(queries)} queries) {floor * 1000:.0f} ms"
        )
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
            cursor.execute("DELETE FROM accounts_user WHERE email LIKE %s", [f"%@{slug}.bench"])
        Domain.objects.filter(tenant__schema_name=slug).delete()
        Community.objects.filter(schema_name=slug).delete()

    result = {
        "benchmark": "annual_report",
        "metric": "median_seconds_per_report",
        "value": round(value, 3),
        "floor": round(floor, 3),
        "floor_is": "the SQL queries the build runs, replayed raw",
        "ratio": round(value / floor, 2) if floor else None,
        "queries": len(queries),
        "runs": runs,
        "data": counts,
        "goal": f"build <= {GOAL_SECONDS} s",
        "met": value <= GOAL_SECONDS,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
