"""Deploy migrations over 1,000 CPTS: migrate_platform vs django-tenants' standard executor.

The CPTS are clones of the template schema (tenants/cloning.py), kept between runs in the data
directory, so run it without --fresh (one command; the first run clones, later ones reuse):
    python infra/dev/runtime.py --data .data/migrate-bench -- python benchmarks/migrate_all.py
(--quick: 60 CPTS, use another data directory than the full run's: every CPTS present is counted.)

Before measuring (not timed): the benchmark's schemas left without a CPTS row by an older run are
dropped, every registered CPTS is brought level with the code by ``migrate_platform`` itself, CPTS
are cloned until there are ``-n`` of the benchmark's, and the probe migrations of a previous run
are forgotten (a run also removes its own at the end). Then, each as a fresh ``manage.py`` process as a deploy
runs it, with the machine's load average beside every figure:
1. floors: the one query comparing every schema's django_migrations with the template's (median of
   3), and ``manage.py check`` (Django's start-up and system checks, which any command pays);
2. a no-op ``migrate_platform`` over every CPTS (goal: <= 30 s at 1,000 CPTS);
3. one real added migration (a CreateModel with an index, written into the probe app, see
   migrate_all_settings.py) by ``migrate_platform``, then a second one of the same shape by
   django-tenants' standard executor (``migrate_schemas --executor standard``), on the same CPTS:
   all of them, or the first ``--added-on N`` (the others are unregistered for that part only, and
   registered again afterwards, or at the start of the next run if this one was interrupted).
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
DETACHED_FILE = "migrate_all_detached.txt"
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


def load() -> float:
    return round(os.getloadavg()[0], 2)


def run_manage(*args: str) -> dict:
    """Run ``manage.py ARGS`` as a deploy would: its wall seconds, its CPU seconds and its
    children's (on a shared machine the CPU spent says more than the clock), its peak RSS, its
    output, and the load average before and after."""
    load_before = load()
    started = time.perf_counter()
    before = os.times()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=dict(os.environ),
        text=True,
    )
    output = process.stdout.read()
    # wait4 gives this one process's peak memory (its children report their own).
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    after = os.times()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{output[-3000:]}")
    children_cpu = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    return {
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "cpu_with_children": children_cpu,
        "rss_kb": usage.ru_maxrss,
        "output": output,
        "load": [load_before, load()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="benchmark CPTS to have (cloned if missing)")
    parser.add_argument("--quick", action="store_true", help="60 CPTS, added migration on all of them")
    parser.add_argument("--jobs", type=int, default=None, help="migrate_platform --jobs")
    parser.add_argument("--per-process", type=int, default=None, help="migrate_platform --per-process")
    parser.add_argument(
        "--added-on",
        type=int,
        default=None,
        help="run the added-migration comparison on the first N CPTS only (the standard executor "
        "takes ~1 s per schema: ~17 min at 1,000 on an idle 2-core machine)",
    )
    parser.add_argument("--noop-only", action="store_true", help="floors and the no-op pass only")
    parser.add_argument(
        "--standard-noop", action="store_true", help="also time the standard executor's no-op pass"
    )
    options = parser.parse_args()
    n = 60 if options.quick else options.n

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from tenants.schema_migrations import community_schemas, outdated_schemas

    data_dir = Path(settings.DATA_DIR)
    reattach(data_dir)
    probe_dir = settings.PROBE_MIGRATIONS_DIR
    for old in probe_dir.glob("0*.py"):
        old.unlink()
    forget_probe_migrations()
    prepare(n)

    schemas = community_schemas()
    print(f"{len(schemas)} CPTS ({len(schemas) - n} besides the benchmark's)", flush=True)
    floors = []
    for _ in range(3):
        start = time.perf_counter()
        assert outdated_schemas(schemas) == {}
        floors.append(time.perf_counter() - start)
    floor = statistics.median(floors)
    floor_load = load()
    with connection.cursor() as cursor:
        # Every schema holding a migrations table, registered or not: what the catalog carries.
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname = 'django_migrations' AND relkind = 'r'")
        catalog_schemas = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_class")
        relations = cursor.fetchone()[0]
    print(f"floor, the one comparison query over {len(schemas)} CPTS: {floor:.3f} s (load {floor_load})")
    connection.close()

    platform_args = ["migrate_platform"]
    if options.jobs:
        platform_args += ["--jobs", str(options.jobs)]
    if options.per_process:
        platform_args += ["--per-process", str(options.per_process)]

    check = run_manage("check")
    print(f"floor, manage.py check (start-up + system checks): {describe(check)}", flush=True)
    noop = run_manage(*platform_args)
    print("\n".join("  " + line for line in noop["output"].strip().splitlines()[-3:]))
    print(f"no-op migrate_platform over {len(schemas)} CPTS: {describe(noop)}", flush=True)
    std_noop = None
    if options.standard_noop:
        std_noop = run_manage("migrate_schemas", "--tenant", "--executor", "standard", "--noinput")
        print(f"no-op standard executor: {describe(std_noop)}", flush=True)

    result = {
        "benchmark": "migrate_all",
        "metric": "noop_seconds",
        "value": round(noop["seconds"], 2),
        "floor": round(floor, 3),
        "floor_is": "the one query comparing every schema's django_migrations with the template's",
        "ratio": round(noop["seconds"] / floor, 1) if floor else None,
        "schemas": len(schemas),
        "catalog_schemas": catalog_schemas,
        "catalog_relations": relations,
        "floor_startup_and_checks_seconds": round(check["seconds"], 2),
        "noop_cpu_seconds": round(noop["cpu_with_children"], 2),
        "noop_load": noop["load"],
        "floor_load": floor_load,
        "standard_noop_seconds": round(std_noop["seconds"], 1) if std_noop else None,
        "cpus": os.cpu_count(),
        "goal": "no-op pass <= 30 s at 1,000 CPTS",
        "met": noop["seconds"] <= 30 and len(schemas) >= 1000,
    }
    if options.quick:
        result["goal"] = "no-op pass <= 30 s (quick: 60 CPTS)"
        result["met"] = noop["seconds"] <= 30
    if not options.noop_only:
        result.update(added_migration(options, schemas, platform_args, probe_dir, data_dir))
    print(json.dumps(result))


def describe(run: dict) -> str:
    return (
        f"{run['seconds']:.1f} s wall, {run['cpu_with_children']:.1f} s CPU with its children, "
        f"peak {run['rss_kb'] // 1024} MB, load {run['load'][0]} → {run['load'][1]}"
    )


def prepare(n: int) -> None:
    """Level every registered CPTS with the code, clone until ``n`` benchmark CPTS exist, and level
    again if the code moved while cloning (not timed)."""
    from django.db import connection, transaction
    from django_tenants.utils import schema_exists

    from tenants.models import Community
    from tenants.platform_setup import migrate_everything

    drop_unregistered_clones()
    started = time.perf_counter()
    report = migrate_everything(
        progress=lambda line: print(line, flush=True) if "/" not in line[:12] else None
    )
    if report.failed:
        raise SystemExit(f"levelling failed for {len(report.failed)} CPTS: {sorted(report.failed)[:5]}")
    print(f"levelled with the code (not timed): {time.perf_counter() - started:.0f} s", flush=True)
    # A run stopped in the middle of a clone left its row only if it predates the atomic block below.
    for orphan in Community.objects.filter(schema_name__startswith=PREFIX):
        if not schema_exists(orphan.schema_name):
            Community.objects.filter(pk=orphan.pk).delete()
    existing = Community.objects.filter(schema_name__startswith=PREFIX).count()
    started, index, made = time.perf_counter(), 0, 0
    while existing + made < n:
        name = f"{PREFIX}{index:04d}"
        index += 1
        if Community.objects.filter(schema_name=name).exists() or schema_exists(name):
            continue
        with transaction.atomic():  # the row and its schema together, or neither
            Community(schema_name=name, name=f"Banc migrations {name[-4:]}", status="active").save()
        connection.set_schema_to_public()
        made += 1
        if made % 50 == 0 or existing + made == n:
            print(f"cloned {existing + made}/{n} ({time.perf_counter() - started:.0f} s)", flush=True)
    if made:
        migrate_everything()


def drop_unregistered_clones() -> None:
    """Drop the benchmark's schemas that have no CPTS row (left by an older run; ``reattach`` has
    registered again those this benchmark set aside): the catalog then holds what is measured.
    One transaction per schema, each takes a lock per relation."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace n WHERE nspname LIKE %s AND NOT EXISTS "
            "(SELECT 1 FROM tenants_community c WHERE c.schema_name = n.nspname) ORDER BY 1",
            [PREFIX + "%"],
        )
        stale = [row[0] for row in cursor.fetchall()]
    started = time.perf_counter()
    for index, name in enumerate(stale, 1):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')
        if index % 50 == 0 or index == len(stale):
            print(
                f"dropped {index}/{len(stale)} unregistered clones ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


def forget_probe_migrations() -> None:
    """The probe migrations of a previous run: their files are gone, so are their tables and rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """DO $$ DECLARE s text; BEGIN
                 FOR s IN SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid
                          AND c.relname = 'django_migrations' AND c.relkind = 'r'
                 LOOP
                   EXECUTE format('DROP TABLE IF EXISTS %I.migration_probe_probea, %I.migration_probe_probeb', s, s);
                   EXECUTE format('DELETE FROM %I.django_migrations WHERE app = ''migration_probe''', s);
                 END LOOP; END $$"""
        )


def detach(data_dir: Path, names: list[str]) -> None:
    """Unregister ``names`` (rows only, schemas kept), listed first in a file so that an
    interrupted run registers them again at its next start."""
    from tenants.models import Community

    (data_dir / DETACHED_FILE).write_text("\n".join(names) + "\n")
    Community.objects.filter(schema_name__in=names).delete()


def reattach(data_dir: Path) -> None:
    """Register again the CPTS a previous ``detach`` unregistered (their schemas still exist)."""
    from django_tenants.utils import schema_exists

    from tenants.models import Community

    listed = data_dir / DETACHED_FILE
    if not listed.exists():
        return
    names = listed.read_text().split()
    for name in names:
        if schema_exists(name) and not Community.objects.filter(schema_name=name).exists():
            community = Community(schema_name=name, name=f"Banc migrations {name[-4:]}", status="active")
            community.auto_create_schema = False
            community.save()
    listed.unlink()
    print(f"registered again {len(names)} CPTS set aside by the previous run", flush=True)


def added_migration(
    options, schemas: list[str], platform_args: list[str], probe_dir: Path, data_dir: Path
) -> dict:
    """One added migration by migrate_platform, then one of the same shape by the standard executor,
    on the same CPTS; checks each landed in every schema with its content type."""
    from django.db import connection

    from tenants.schema_migrations import outdated_schemas

    subset = schemas[: options.added_on] if options.added_on else schemas
    set_aside = [name for name in schemas if name not in set(subset)]
    if set_aside:
        detach(data_dir, set_aside)
        print(f"added migration on {len(subset)} CPTS ({len(set_aside)} set aside for this part)", flush=True)
    try:
        (probe_dir / "0001_probe_a.py").write_text(PROBE_MIGRATION.format(dependencies="[]", model="ProbeA"))
        ours = run_manage(*platform_args)
        child_peak = re.search(r"pic mémoire par processus enfant : (\d+) Mo", ours["output"])
        print("\n".join("  " + line for line in ours["output"].strip().splitlines()[-2:]), flush=True)
        print(f"one added migration, migrate_platform: {describe(ours)}", flush=True)
        assert outdated_schemas(subset) == {}
        assert_landed(subset, "probea")
        connection.close()

        (probe_dir / "0002_probe_b.py").write_text(
            PROBE_MIGRATION.format(dependencies='[("migration_probe", "0001_probe_a")]', model="ProbeB")
        )
        standard = run_manage("migrate_schemas", "--tenant", "--executor", "standard", "--noinput")
        print(f"one added migration, standard executor: {describe(standard)}", flush=True)
        assert_landed(subset, "probeb")
        connection.close()
    finally:
        # Leave the data level with the code: the probe's files go, so do its tables and rows.
        for written in probe_dir.glob("0*.py"):
            written.unlink()
        forget_probe_migrations()
        connection.close()
        if set_aside:
            reattach(data_dir)
    return {
        "added_migration_schemas": len(subset),
        "added_migration_seconds": round(ours["seconds"], 1),
        "standard_added_migration_seconds": round(standard["seconds"], 1),
        "added_migration_speedup_vs_standard": round(standard["seconds"] / ours["seconds"], 2),
        "added_migration_cpu_seconds": round(ours["cpu_with_children"], 1),
        "standard_added_migration_cpu_seconds": round(standard["cpu_with_children"], 1),
        "added_migration_load": ours["load"],
        "standard_added_migration_load": standard["load"],
        "per_schema_ms": round(1000 * ours["seconds"] / len(subset), 1),
        "standard_per_schema_ms": round(1000 * standard["seconds"] / len(subset), 1),
        "peak_rss_mb": {
            "migrate_platform_parent": round(ours["rss_kb"] / 1024),
            "migrate_platform_child": int(child_peak.group(1)) if child_peak else None,
            "standard_executor": round(standard["rss_kb"] / 1024),
        },
    }


def assert_landed(schemas: list[str], model: str) -> None:
    """The probe model's table and its content type (post_migrate ran) are in every schema."""
    from django.db import connection
    from psycopg import sql

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = ANY(%s)",
            [f"migration_probe_{model}", schemas],
        )
        assert cursor.fetchone()[0] == len(schemas)
        cursor.execute(
            sql.SQL("SELECT sum(found) FROM ({}) per_schema").format(
                sql.SQL(" UNION ALL ").join(
                    sql.SQL(
                        "SELECT count(*) AS found FROM {}.django_content_type "
                        "WHERE app_label = 'migration_probe' AND model = {}"
                    ).format(sql.Identifier(schema), sql.Literal(model))
                    for schema in schemas
                )
            )
        )
        assert cursor.fetchone()[0] == len(schemas)


if __name__ == "__main__":
    main()
