"""Deploy migrations over 1,000 CPTS: migrate_platform vs django-tenants' standard executor.

The CPTS are clones of the template schema (tenants/cloning.py), kept between runs in the data
directory, so run it without --fresh:
    python infra/dev/runtime.py --data .data/migrate-bench -- python benchmarks/migrate_all.py [--quick]
(--quick: 60 CPTS; use another data directory than the full run's, every CPTS present is counted.)

Measured, each as a fresh ``manage.py`` process as a deploy runs it:
1. floor: the one query comparing every schema's django_migrations with the template's;
2. a no-op ``migrate_platform`` (nothing to apply; goal <= 30 s at 1,000 CPTS), and django-tenants'
   ``migrate_schemas --executor standard`` on the same schemas;
3. one real added migration (a CreateModel with an index, written into the probe app, see
   migrate_all_settings.py) over all schemas by ``migrate_platform``, then a second one of the same
   shape by the standard executor: the ratio of the two.
Prints progress and figures, then one JSON line last (CONVENTIONS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.migrate_all_settings"
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

PREFIX = "mig-bench-"
PROBE_MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = {dependencies}
    operations = [
        migrations.CreateModel(
            name="{model}",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("label", models.CharField(max_length=100, db_index=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
    ]
"""


def run_manage(*args: str) -> tuple[float, int, str, float]:
    """Run ``manage.py ARGS`` as a deploy would; returns (seconds, its peak RSS in kB, output, CPU
    seconds of it and its children: on a shared machine the CPU spent says more than the clock)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=dict(os.environ),
        text=True,
    )
    output = process.stdout.read()
    # wait4 gives this one process's peak memory (its children, if any, report their own).
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss, output, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1000, help="CPTS to have (cloned if missing)")
    parser.add_argument("--quick", action="store_true", help="60 CPTS")
    parser.add_argument("--jobs", type=int, default=None, help="migrate_platform --jobs")
    parser.add_argument("--per-process", type=int, default=None, help="migrate_platform --per-process")
    parser.add_argument(
        "--skip-standard-noop",
        action="store_true",
        help="skip the standard executor's no-op pass (~1 s per schema on a loaded 2-core machine)",
    )
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="clone nothing, level nothing: every registered CPTS must already be up to date; measures "
        "the floor and the no-op pass only (on a busy machine where a full run does not fit)",
    )
    options = parser.parse_args()
    n = 60 if options.quick else options.n

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django_tenants.utils import schema_exists

    from tenants.models import Community
    from tenants.platform_setup import migrate_everything
    from tenants.schema_migrations import community_schemas, outdated_schemas

    if options.measure_only:
        measure_noop_only(options)
        return
    probe_dir = settings.PROBE_MIGRATIONS_DIR
    for old in probe_dir.glob("0*.py"):
        old.unlink()
    started = time.perf_counter()
    migrate_everything(progress=lambda line: print(line, flush=True) if "/" not in line[:12] else None)
    print(
        f"levelled every schema with the code (not timed in the result): {time.perf_counter() - started:.0f} s"
    )
    # Forget the probe migrations of a previous run in every schema (their files are gone).
    with connection.cursor() as cursor:
        cursor.execute(
            """DO $$ DECLARE s text; BEGIN
                 FOR s IN SELECT nspname FROM pg_namespace n WHERE EXISTS (
                   SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'django_migrations')
                 LOOP
                   EXECUTE format('DROP TABLE IF EXISTS %I.migration_probe_probea, %I.migration_probe_probeb', s, s);
                   EXECUTE format('DELETE FROM %I.django_migrations WHERE app = ''migration_probe''', s);
                 END LOOP; END $$"""
        )

    # A run stopped in the middle of a clone left its row only if it predates the atomic block below.
    for orphan in Community.objects.filter(schema_name__startswith=PREFIX):
        if not schema_exists(orphan.schema_name):
            Community.objects.filter(pk=orphan.pk).delete()
    existing = Community.objects.filter(schema_name__startswith=PREFIX).count()
    started = time.perf_counter()
    for i in range(existing, n):
        with transaction.atomic():  # the row and its schema together, or neither
            Community(schema_name=f"{PREFIX}{i:04d}", name=f"Banc migrations {i}", status="active").save()
        connection.set_schema_to_public()
        if (i + 1) % 50 == 0 or i + 1 == n:
            print(f"cloned {i + 1}/{n} ({time.perf_counter() - started:.0f} s)", flush=True)
    schemas = community_schemas()
    print(f"{len(schemas)} CPTS schemas ({len(schemas) - n} besides the benchmark's)", flush=True)
    if outdated_schemas(schemas):
        print("levelling schemas left behind by a code change (not timed)", flush=True)
        migrate_everything()

    floors = []
    for _ in range(3):
        start = time.perf_counter()
        assert outdated_schemas(schemas) == {}
        floors.append(time.perf_counter() - start)
    floor = statistics.median(floors)
    print(f"floor (one comparison query over {len(schemas)} schemas): {floor:.3f} s", flush=True)

    platform_args = ["migrate_platform"]
    if options.jobs:
        platform_args += ["--jobs", str(options.jobs)]
    if options.per_process:
        platform_args += ["--per-process", str(options.per_process)]

    noop, noop_rss, _, noop_cpu = run_manage(*platform_args)
    print(f"no-op migrate_platform: {noop:.1f} s ({noop_cpu:.1f} s CPU)", flush=True)
    std_noop = std_noop_rss = std_noop_cpu = None
    if not options.skip_standard_noop:
        std_noop, std_noop_rss, _, std_noop_cpu = run_manage(
            "migrate_schemas", "--tenant", "--executor", "standard", "--noinput"
        )
        print(f"no-op standard executor: {std_noop:.1f} s ({std_noop_cpu:.1f} s CPU)", flush=True)

    (probe_dir / "0001_probe_a.py").write_text(PROBE_MIGRATION.format(dependencies="[]", model="ProbeA"))
    real, real_rss, output, real_cpu = run_manage(*platform_args)
    child_peak = re.search(r"pic mémoire par processus enfant : (\d+) Mo", output)
    print("\n".join(output.strip().splitlines()[-3:]), flush=True)
    print(f"one added migration, migrate_platform: {real:.1f} s ({real_cpu:.1f} s CPU)", flush=True)
    assert outdated_schemas(schemas) == {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname = 'migration_probe_probea'")
        created = cursor.fetchone()[0]
        assert created == len(schemas) + 1, created
        # post_migrate ran in each schema as Django's migrate runs it: the new model's content type.
        cursor.execute(
            f'SELECT count(*) FROM "{schemas[-1]}".django_content_type WHERE app_label = %s AND model = %s',
            ["migration_probe", "probea"],
        )
        assert cursor.fetchone()[0] == 1

    (probe_dir / "0002_probe_b.py").write_text(
        PROBE_MIGRATION.format(dependencies='[("migration_probe", "0001_probe_a")]', model="ProbeB")
    )
    std_real, std_real_rss, _, std_real_cpu = run_manage(
        "migrate_schemas", "--tenant", "--executor", "standard", "--noinput"
    )
    print(f"one added migration, standard executor: {std_real:.1f} s ({std_real_cpu:.1f} s CPU)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname = 'migration_probe_probeb'")
        assert cursor.fetchone()[0] == len(schemas)
    connection.close()

    result = {
        "benchmark": "migrate_all",
        "metric": "noop_seconds",
        "value": round(noop, 2),
        "floor": round(floor, 3),
        "floor_is": "the one query comparing every schema's django_migrations with the template's",
        "ratio": round(noop / floor, 1) if floor else None,
        "schemas": len(schemas),
        "standard_noop_seconds": round(std_noop, 1) if std_noop else None,
        "noop_speedup_vs_standard": round(std_noop / noop, 1) if std_noop else None,
        "added_migration_seconds": round(real, 1),
        "standard_added_migration_seconds": round(std_real, 1),
        "added_migration_speedup_vs_standard": round(std_real / real, 2),
        "client_cpu_seconds": {
            "noop": round(noop_cpu, 1),
            "standard_noop": round(std_noop_cpu, 1) if std_noop else None,
            "added_migration": round(real_cpu, 1),
            "standard_added_migration": round(std_real_cpu, 1),
        },
        "per_schema_ms": round(1000 * real / len(schemas), 1),
        "standard_per_schema_ms": round(1000 * std_real / len(schemas), 1),
        "peak_rss_mb": {
            "migrate_platform_parent": round(max(noop_rss, real_rss) / 1024),
            "migrate_platform_child": int(child_peak.group(1)) if child_peak else None,
            "standard_executor": round(max(std_noop_rss or 0, std_real_rss) / 1024),
        },
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "goal": "no-op pass <= 30 s at 1,000 CPTS",
        "met": noop <= 30 and len(schemas) >= 1000,
    }
    if options.quick:
        result["met"] = noop <= 30
        result["goal"] = "no-op pass <= 30 s (quick: fewer CPTS)"
    print(json.dumps(result))


def catalog_schemas() -> int:
    """Schemas holding a django_migrations table: what the catalog carries, registered or not."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname = 'django_migrations' AND relkind = 'r'")
        return cursor.fetchone()[0]


def measure_noop_only(options) -> None:
    """The floor (one comparison query, median of 3) and one no-op ``migrate_platform``, both over
    the CPTS registered now; the floor again over every CPTS schema in the catalog."""
    from django.db import connection

    from tenants.schema_migrations import community_schemas, outdated_schemas

    schemas = community_schemas()
    lagging = outdated_schemas(schemas)
    if lagging:
        raise SystemExit(f"{len(lagging)} CPTS not up to date: --measure-only needs a levelled set")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "AND c.relname = 'django_migrations' AND c.relkind = 'r' WHERE n.nspname NOT IN ('public', %s)",
            [settings_template()],
        )
        every_schema = sorted(row[0] for row in cursor.fetchall())
    load_before = os.getloadavg()[0]
    floors = []
    for _ in range(3):
        start = time.perf_counter()
        outdated_schemas(schemas)
        floors.append(time.perf_counter() - start)
    floor = statistics.median(floors)
    floors_all = []
    for _ in range(3):
        start = time.perf_counter()
        outdated_schemas(every_schema)
        floors_all.append(time.perf_counter() - start)
    floor_all = statistics.median(floors_all)
    print(
        f"floor over {len(schemas)} CPTS: {floor:.3f} s; over all {len(every_schema)} schemas: {floor_all:.3f} s"
    )
    connection.close()
    platform_args = ["migrate_platform"]
    if options.jobs:
        platform_args += ["--jobs", str(options.jobs)]
    noop, noop_rss, output, noop_cpu = run_manage(*platform_args)
    print(output.strip().splitlines()[-2] if output.strip() else "", flush=True)
    print(f"no-op migrate_platform over {len(schemas)} CPTS: {noop:.1f} s ({noop_cpu:.1f} s CPU)", flush=True)
    # The no-op pass is start-up + the comparison query: at the catalog's full count it costs the
    # measured pass plus the query's difference between the two counts.
    projected = noop + max(0.0, floor_all - floor)
    result = {
        "benchmark": "migrate_all",
        "metric": "noop_seconds",
        "value": round(noop, 2),
        "floor": round(floor, 3),
        "floor_is": "the one query comparing every schema's django_migrations with the template's",
        "ratio": round(noop / floor, 1) if floor else None,
        "schemas": len(schemas),
        "catalog_schemas": len(every_schema),
        "floor_all_catalog_schemas": round(floor_all, 3),
        "noop_projected_at_catalog_count": round(projected, 2),
        "client_cpu_seconds": {"noop": round(noop_cpu, 1)},
        "peak_rss_mb": {"migrate_platform_parent": round(noop_rss / 1024)},
        "cpus": os.cpu_count(),
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "goal": "no-op pass <= 30 s at 1,000 CPTS",
        "met": noop <= 30 and len(schemas) >= 1000,
        "mode": "measure-only",
    }
    print(json.dumps(result))


def settings_template() -> str:
    from django.conf import settings

    return settings.TENANT_BASE_SCHEMA


if __name__ == "__main__":
    main()
