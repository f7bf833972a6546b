"""The 1 January wave: N CPTS × M members, every CPTS lapses last year's dues and queues reminders.

Run inside the embedded runtime, e.g.:
    python infra/dev/runtime.py --data .data/bench-dues --fresh -- sh -c \
        'python manage.py migrate_platform && python benchmarks/renewal_wave.py --quick'

For each CPTS the project's task (``dues.run_renewals`` on 1 January: lapse of last year's dues,
the day's reminder campaign and the automatic-renewal campaign, their tasks pushed to the real
Redis broker) is timed against
the floor: one bulk SQL UPDATE per schema over the same rows (what the lapse alone costs at
minimum). Rows are reset between passes. Peak Python memory (tracemalloc, in a separate pass so
it does not slow the timed one) is measured for a CPTS with M members and one with M/10 members
to show it stays flat as M grows. Prints one JSON line last (CONVENTIONS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # reminders are really enqueued (Redis), not sent
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200, help="number of CPTS")
    parser.add_argument("-m", type=int, default=1000, help="members per CPTS")
    parser.add_argument("--quick", action="store_true", help="5 CPTS × 400 members")
    options = parser.parse_args()
    n, m = (5, 400) if options.quick else (options.n, options.m)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.dues.calendar import paris_today
    from apps.dues.models import Dues, Reminder, ReminderCampaign, Tier
    from apps.members.models import Membership
    from tenants.models import Community, Domain
    from tenants.provisioning import CommunityRequest, provision_community
    from workers.dues import run_renewals_task

    UNUSABLE = make_password(None)  # noqa: N806
    year = paris_today().year + 1
    day = f"{year}-01-01"
    stamp = int(time.time())
    created: list[str] = []
    users = get_user_model().objects
    prefix = f"wave{stamp}-"

    def populate(schema: str, count: int) -> None:
        with schema_context(schema), connection.cursor() as cursor:
            tier = Tier.objects.order_by("pk").first()
            cursor.execute(
                f"""INSERT INTO {Membership._meta.db_table}
                    (user_id, role, is_active, joined_at, eligibility_category, auto_renew,
                     stripe_customer_id, stripe_payment_method_id, dues_exempt)
                    SELECT id, 'member', true, now(), 'liberal', false, '', '', false FROM public.accounts_user
                    WHERE email LIKE %s ORDER BY id LIMIT %s""",
                [f"{prefix}%", count],
            )
            cursor.execute(
                f"""INSERT INTO {Dues._meta.db_table} (membership_id, year, tier_id, amount, status, created_at)
                    SELECT id, %s, %s, %s, 'active', now() FROM {Membership._meta.db_table}""",
                [year - 1, tier.pk, tier.price],
            )

    def reset(schema: str) -> None:
        with schema_context(schema):
            Dues.objects.filter(year=year - 1).update(status="active")
            Reminder.objects.all().delete()
            ReminderCampaign.objects.all().delete()

    try:
        print(f"building {n} CPTS × {m} members…", flush=True)
        users.bulk_create(
            [users.model(email=f"{prefix}{i}@bench.test", password=UNUSABLE) for i in range(m)],
            batch_size=1000,
        )
        for i in range(n + 1):
            slug = f"wave-{stamp}-{i}"
            provision_community(
                actor=None, request=CommunityRequest(slug=slug, name=f"Vague {i}", admin_email="a@bench.test")
            )
            created.append(slug)
            # The last CPTS is the small one of the memory probe (M/10 members).
            populate(slug, m if i < n else max(m // 10, 1))
        wave, small = created[:n], created[n]
        connection.set_schema_to_public()

        # Floor: one bulk UPDATE per schema over the same rows.
        floor_times = []
        for schema in wave:
            with schema_context(schema), connection.cursor() as cursor:
                start = time.perf_counter()
                cursor.execute(
                    f"UPDATE {Dues._meta.db_table} SET status = 'expired' WHERE year < %s AND status = 'active'",
                    [year],
                )
                floor_times.append(time.perf_counter() - start)
                assert cursor.rowcount == m
            reset(schema)

        # The project: the task the beat fan-out sends to each CPTS on 1 January.
        import redis

        broker = redis.Redis.from_url(os.environ["REDIS_URL"])
        run_renewals_task.apply(args=(small, day))  # warm-up (imports, broker connection)
        reset(small)
        # Reminders are routed to the "mail" queue, automatic renewals stay on "celery".
        queues = ("celery", "mail")
        queued_before = sum(broker.llen(name) for name in queues)
        wave_times, results = [], []
        for schema in wave:
            start = time.perf_counter()
            results.append(run_renewals_task.apply(args=(schema, day)).get())
            wave_times.append(time.perf_counter() - start)
        queued = sum(broker.llen(name) for name in queues) - queued_before
        assert all(r == {"lapsed": m, "campaigns": 2} for r in results), results[:3]
        assert queued == 2 * n, queued  # reminders + automatic renewals: really in Redis
        # Idempotence: a second run finds nothing to do.
        again = run_renewals_task.apply(args=(wave[0], day)).get()
        assert again == {"lapsed": 0, "campaigns": 0}, again

        # Memory: same task on a CPTS with M members and on one with M/10.
        reset(wave[0])
        reset(small)
        tracemalloc.start()
        run_renewals_task.apply(args=(wave[0], day)).get()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        run_renewals_task.apply(args=(small, day)).get()
        _current, peak_small = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        total, floor = sum(wave_times), sum(floor_times)
        ratio = total / floor
        memory_flat = peak <= peak_small * 1.5 + 256 * 1024
        # Printed before the (slow) cleanup; the JSON line stays last.
        print(
            f"wave: {total:.3f} s for {n} CPTS × {m} members; floor (bulk UPDATE per schema): {floor:.3f} s"
        )
        print(
            f"peak Python memory: {peak / 1024:.0f} KiB at M={m}, {peak_small / 1024:.0f} KiB at M={max(m // 10, 1)}",
            flush=True,
        )
        result = {
            "benchmark": "renewal_wave",
            "metric": "seconds",
            "value": round(total, 3),
            "floor": round(floor, 3),
            "floor_is": "one bulk SQL UPDATE per schema over the same dues rows",
            "ratio": round(ratio, 2),
            "n_cpts": n,
            "members_per_cpts": m,
            "peak_memory_kib": round(peak / 1024),
            "peak_memory_kib_at_m_div_10": round(peak_small / 1024),
            "goal": "ratio <= 3 and memory flat as M grows",
            "met": ratio <= 3 and memory_flat,
        }
    finally:
        connection.set_schema_to_public()
        for slug in created:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
        Domain.objects.filter(tenant__schema_name__in=created).delete()
        Community.objects.filter(schema_name__in=created).delete()
        users.filter(email__startswith=prefix)._raw_delete(using="default")

    print(json.dumps(result))


if __name__ == "__main__":
    main()
