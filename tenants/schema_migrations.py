"""Deploy-time migrations of every CPTS schema, at a thousand schemas.

django-tenants' standard executor runs Django's ``migrate`` once per schema in one process: at
~0.37 s per schema even when there is nothing to apply, and with memory growing with every schema
(its users report OOMs on long runs). Here:

0. The public schema and the template are compared with the code's migration files in one query
   (``schemas_behind_code``): when they hold every migration, ``migrate`` is not run for them at
   all (it would plan nothing and still render the project state and run post_migrate).
1. One query compares every CPTS schema's ``django_migrations`` with the template schema's (the
   template is migrated first, so it holds exactly what the code expects): schemas that already have
   every migration are skipped without starting anything. With nothing to apply, a deploy's pass is
   Django's start-up, these two queries and nothing per schema; the second one is the floor
   (``benchmarks/migrate_all.py``).
2. The schemas left are migrated by child processes (``manage.py migrate_community_schemas``), at
   most ``jobs`` at a time, each child migrating at most ``per_process`` schemas before it exits, so
   memory stays flat however many schemas there are (``per_process=1``: one fresh process per
   schema, as django-tenants' subprocess executor does; many per process amortise Django's
   start-up). The batches are cut evenly over the jobs (``split_evenly``), but no child is started
   for fewer than ``min_per_process`` schemas: when few schemas lag (a small deploy, a handful of
   CPTS), one child migrates them all rather than ``jobs`` children each paying Django's start-up
   for one or two schemas.
3. A schema that fails is reported and the others go on; every migration is recorded as it is
   applied (each one is atomic on PostgreSQL), so running the command again resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import get_public_schema_name, get_tenant_model
from psycopg import sql

CHILD_COMMAND = "migrate_community_schemas"
# A child's fixed cost (Django start-up, rendering the project state once) is ~2.5 s of CPU, ~20
# schemas' worth of migrating one CreateModel: at 100 per child it is a few percent of the work,
# and the child's peak memory stays flat (benchmarks/migrate_all.py measures it).
DEFAULT_PER_PROCESS = 100
# The smallest batch worth a child of its own: a child's start-up (~1.1 s of CPU) is ~17 schemas'
# worth of migrating one CreateModel (~0.066 s each, docs/scaling.md), so below ~20 schemas a second
# child costs more than it saves.
DEFAULT_MIN_PER_PROCESS = 20


def default_jobs() -> int:
    """Parallel children: the migration work is mostly PostgreSQL's, so a few more than the cores."""
    return max(2, min(8, (os.cpu_count() or 2) + 1))


def community_schemas() -> list[str]:
    """Every CPTS schema (any status: a suspended or closed CPTS keeps its schema migrated)."""
    return list(
        get_tenant_model()
        .objects.exclude(schema_name=get_public_schema_name())
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )


def outdated_schemas(schemas: Iterable[str], template: str | None = None) -> dict[str, int]:
    """``{schema: number of the template's migrations it lacks}`` for the schemas not up to date.

    One catalog lookup (which schemas have a ``django_migrations`` table at all), then one query
    across all of them: a UNION ALL of per-schema anti-joins against the template's rows. A schema
    without the table lacks every migration; a missing schema is reported with -1.
    """
    template = template or settings.TENANT_BASE_SCHEMA
    expected = sql.SQL("SELECT app, name FROM {}.django_migrations").format(sql.Identifier(template))
    return _missing_migrations(list(schemas), expected, [], must_exist=template)


def code_migrations() -> set[tuple[str, str]]:
    """Every migration the code defines, as Django plans them (a squash stands for what it replaces).

    Read from the migration files only, no database: the graph ``migrate`` would apply."""
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def schemas_behind_code(schemas: Iterable[str]) -> dict[str, int]:
    """``{schema: number of the code's migrations it lacks}`` for those of ``schemas`` (the public
    schema, the template) not up to date with the code, in one query; -1 for a missing schema.

    A schema holding every migration of the code would get an empty plan from ``migrate``: there is
    nothing to run for it, not even its post_migrate handlers (they only add content types and
    permissions for models, which only migrations bring)."""
    apps_and_names = sorted(code_migrations())
    expected = sql.SQL("SELECT * FROM unnest(%s::text[], %s::text[]) AS code(app, name)")
    params = [[app for app, _ in apps_and_names], [name for _, name in apps_and_names]]
    return _missing_migrations(list(schemas), expected, params)


def _missing_migrations(
    schemas: list[str], expected: sql.Composable, params: list, must_exist: str | None = None
) -> dict[str, int]:
    """For each of ``schemas`` lacking rows of the ``expected`` (app, name) query in its own
    ``django_migrations``: how many it lacks (all of them without the table, -1 without the schema).
    ``must_exist``: a schema whose table must be there (else RuntimeError), e.g. the template."""
    if not schemas:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, c.oid IS NOT NULL FROM pg_namespace n "
            "LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'django_migrations' "
            "AND c.relkind = 'r' WHERE n.nspname = ANY(%s)",
            [schemas + ([must_exist] if must_exist else [])],
        )
        has_table = dict(cursor.fetchall())
        if must_exist and not has_table.get(must_exist):
            raise RuntimeError(f"the template schema {must_exist!r} is not migrated")
        result = {schema: -1 for schema in schemas if schema not in has_table}
        without_table = [schema for schema in schemas if has_table.get(schema) is False]
        if without_table:
            cursor.execute(sql.SQL("SELECT count(*) FROM ({}) e").format(expected), params)
            expected_count = cursor.fetchone()[0]
            result.update({schema: expected_count for schema in without_table})
        comparable = [schema for schema in schemas if has_table.get(schema)]
        if comparable:
            branch = sql.SQL(
                "SELECT {name} AS schema_name, (SELECT count(*) FROM expected e WHERE NOT EXISTS ("
                "SELECT 1 FROM {schema}.django_migrations m WHERE m.app = e.app AND m.name = e.name)) AS missing"
            )
            query = sql.SQL(
                "WITH expected AS MATERIALIZED ({expected}) "
                "SELECT schema_name, missing FROM ({branches}) per_schema WHERE missing > 0"
            ).format(
                expected=expected,
                branches=sql.SQL(" UNION ALL ").join(
                    branch.format(name=sql.Literal(schema), schema=sql.Identifier(schema))
                    for schema in comparable
                ),
            )
            cursor.execute(query, params)
            result.update(dict(cursor.fetchall()))
    return dict(sorted(result.items()))


def split_evenly(
    schemas: list[str], *, jobs: int, per_process: int, min_per_process: int = DEFAULT_MIN_PER_PROCESS
) -> list[list[str]]:
    """Cut ``schemas`` into batches of at most ``per_process``, as few as that allows but a multiple
    of the jobs used (never more batches than schemas), with sizes differing by one at most: every
    job gets the same share of the work, so none sits idle while the last batch runs.

    Fewer jobs are used when there are not ``min_per_process`` schemas for each: a job then starts
    for every ``min_per_process`` schemas at most (one job below that). ``per_process`` stays the
    hard limit (a child's memory): ``min_per_process`` never exceeds it."""
    if not schemas:
        return []
    per_process = max(1, per_process)
    floor = max(1, min(min_per_process, per_process))
    count = -(-len(schemas) // per_process)
    jobs = max(1, min(jobs, len(schemas) // floor))
    count = min(len(schemas), -(-count // jobs) * jobs)
    size, extra = divmod(len(schemas), count)
    batches, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        batches.append(schemas[start:end])
        start = end
    return batches


@dataclass
class SchemaOutcome:
    schema: str
    ok: bool
    applied: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class MigrationReport:
    """What a pass did: the schemas skipped (up to date), migrated, failed (schema → error)."""

    total: int = 0
    skipped: int = 0
    migrated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    comparison_seconds: float = 0.0
    seconds: float = 0.0
    children: int = 0
    max_child_rss_kb: int = 0


def _child_environment() -> dict[str, str]:
    """Children use the very database this process uses (a test database, a benchmark's)."""
    environment = dict(os.environ)
    environment["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
    environment["DATABASE_NAME"] = str(connection.settings_dict["NAME"])
    return environment


def _run_child(
    batch: list[str], environment: dict[str, str], on_outcome: Callable[[SchemaOutcome], None]
) -> int:
    """Migrate ``batch`` in one child process; calls ``on_outcome`` per schema as the child reports
    it. A child that dies (killed, out of memory) fails the schemas it had not reported. Returns
    the child's peak RSS in kB."""
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), CHILD_COMMAND, *batch]
    process = subprocess.Popen(  # noqa: S603 - our interpreter, our manage.py, schema names from our table
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=settings.BASE_DIR,
        text=True,
    )
    stderr_lines: list[str] = []
    reader = threading.Thread(target=lambda: stderr_lines.extend(process.stderr), daemon=True)
    reader.start()
    reported: set[str] = set()
    peak_rss = 0
    for line in process.stdout:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "rss_kb" in message:
            peak_rss = message["rss_kb"]
            continue
        if message.get("schema") not in batch:
            continue
        reported.add(message["schema"])
        on_outcome(
            SchemaOutcome(
                schema=message["schema"],
                ok=message["ok"],
                applied=message.get("applied", 0),
                seconds=message.get("seconds", 0.0),
                error=message.get("error", ""),
            )
        )
    process.wait()
    reader.join(5)
    tail = "".join(stderr_lines[-5:]).strip() or f"code de sortie {process.returncode}"
    for schema in batch:
        if schema not in reported:
            on_outcome(SchemaOutcome(schema=schema, ok=False, error=f"processus interrompu : {tail}"))
    return peak_rss


def migrate_communities(
    *,
    jobs: int | None = None,
    per_process: int = DEFAULT_PER_PROCESS,
    min_per_process: int = DEFAULT_MIN_PER_PROCESS,
    schemas: Iterable[str] | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> MigrationReport:
    """Bring every CPTS schema (or ``schemas``) level with the template schema; see the module
    docstring. The template must be migrated first. Never raises for one schema's failure: read
    ``report.failed``. ``progress`` receives one French line per schema and a summary."""
    started = time.perf_counter()
    jobs = max(1, jobs or default_jobs())
    per_process = max(1, per_process)
    schemas = community_schemas() if schemas is None else list(schemas)
    report = MigrationReport(total=len(schemas))
    outdated = outdated_schemas(schemas)
    report.comparison_seconds = time.perf_counter() - started
    report.skipped = len(schemas) - len(outdated)
    missing_schemas = [schema for schema, missing in outdated.items() if missing < 0]
    for schema in missing_schemas:
        report.failed[schema] = "schéma absent de la base"
        progress(f"ÉCHEC {schema} : schéma absent de la base")
    todo = [schema for schema, missing in outdated.items() if missing >= 0]
    batches = split_evenly(todo, jobs=jobs, per_process=per_process, min_per_process=min_per_process)
    parallel = min(jobs, len(batches))
    progress(
        f"{len(schemas)} CPTS : {report.skipped} à jour, {len(todo)} à migrer "
        f"({len(batches)} processus, {parallel} en parallèle, {per_process} schéma(s) au plus par processus)"
    )
    if todo:
        environment = _child_environment()
        lock = threading.Lock()
        done = [0]

        def record(outcome: SchemaOutcome) -> None:
            with lock:
                done[0] += 1
                prefix = f"[{done[0]}/{len(todo)}] {outcome.schema}"
                if outcome.ok:
                    report.migrated.append(outcome.schema)
                    progress(f"{prefix} : {outcome.applied} migration(s) en {outcome.seconds:.1f} s")
                else:
                    report.failed[outcome.schema] = outcome.error
                    progress(f"{prefix} : ÉCHEC — {outcome.error}")

        # The parent's connection is not shared with the children; close it rather than hold it idle.
        connection.close()
        report.children = len(batches)
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            peaks = list(pool.map(lambda batch: _run_child(batch, environment, record), batches))
        report.max_child_rss_kb = max(peaks, default=0)
    report.seconds = time.perf_counter() - started
    progress(
        f"Terminé en {report.seconds:.1f} s : {len(report.migrated)} migré(s), "
        f"{report.skipped} déjà à jour, {len(report.failed)} en échec."
        + (
            f" (pic mémoire par processus enfant : {report.max_child_rss_kb // 1024} Mo)"
            if report.children
            else ""
        )
    )
    return report
