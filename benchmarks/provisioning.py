"""Provisioning a CPTS: template-schema clone vs plain migrations, on the same database.

Run inside the embedded runtime (make benchmarks), e.g.:
    python infra/dev/runtime.py --data .data/bench --fresh -- python benchmarks/provisioning.py [--quick]
Prints one line per CPTS, then one JSON line last (CONVENTIONS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10, help="CPTS per method")
    parser.add_argument("--quick", action="store_true", help="3 CPTS per method")
    options = parser.parse_args()
    n = 3 if options.quick else options.n

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    from tenants.models import Community, Domain
    from tenants.platform_setup import migrate_everything
    from tenants.provisioning import CommunityRequest, provision_community

    migrate_everything()
    stamp = int(time.time())
    clone_times, migrate_times, generic_times, created = [], [], [], []
    try:
        # Warm-up (imports, the clone function's creation): not counted.
        provision_community(
            actor=None,
            request=CommunityRequest(slug=f"bench-warm-{stamp}", name="Banc", admin_email="a@bench.test"),
        )
        created.append(f"bench-warm-{stamp}")
        for i in range(n):
            slug = f"bench-clone-{stamp}-{i}"
            start = time.perf_counter()
            provision_community(
                actor=None, request=CommunityRequest(slug=slug, name=f"Banc {i}", admin_email="a@bench.test")
            )
            clone_times.append(time.perf_counter() - start)
            created.append(slug)
            print(f"clone     {slug}: {clone_times[-1]:.3f} s", flush=True)
        # django-tenants' generic clone function, for reference (schema only, no provisioning).
        from django_tenants.clone import CloneSchema

        for i in range(n):
            slug = f"bench-dtcl-{stamp}-{i}"
            start = time.perf_counter()
            CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, slug, "DATA")
            generic_times.append(time.perf_counter() - start)
            created.append(slug)
            print(f"generic   {slug}: {generic_times[-1]:.3f} s", flush=True)
        with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
            for i in range(n):
                slug = f"bench-migr-{stamp}-{i}"
                start = time.perf_counter()
                provision_community(
                    actor=None,
                    request=CommunityRequest(slug=slug, name=f"Banc {i}", admin_email="a@bench.test"),
                )
                migrate_times.append(time.perf_counter() - start)
                created.append(slug)
                print(f"migrate   {slug}: {migrate_times[-1]:.3f} s", flush=True)
    finally:
        connection.set_schema_to_public()
        for slug in created:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
        Domain.objects.filter(tenant__schema_name__in=created).delete()
        Community.objects.filter(schema_name__in=created).delete()

    clone, migrate = statistics.median(clone_times), statistics.median(migrate_times)
    result = {
        "benchmark": "provisioning",
        "metric": "median_seconds_per_cpts",
        "value": round(clone, 3),
        "floor": round(migrate, 3),
        "floor_is": "plain migrations (the method clone replaces)",
        "ratio": round(migrate / clone, 2),
        "n_per_method": n,
        "django_tenants_clone_schema_only_median": round(statistics.median(generic_times), 3),
        "goal": "clone <= 1 s and >= 2x faster than migrations",
        "met": clone <= 1.0 and migrate / clone >= 2,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
