"""Deploy migrations: one comparison query finds the CPTS schemas behind the template, child
processes migrate them in parallel, a failing schema is reported while the others go on, and a new
pass resumes with what is left. Committed for real: the child processes read the test database."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models.signals import post_migrate
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants.models import Community
from tenants.platform_setup import migrate_everything
from tenants.schema_executor import SchemaMigrator
from tenants.schema_migrations import community_schemas, migrate_communities, outdated_schemas, split_evenly

# A state-only migration (labels), cheap to roll back and to apply again.
APP, PREVIOUS = "health_projects", "0001_initial"


def lagging_cpts(slug: str) -> Community:
    """A CPTS cloned from the template, then rolled back one migration: a schema a deploy must fix."""
    community = Community(schema_name=slug, name=slug, status=Community.Status.ACTIVE)
    community.save()
    call_command("migrate_schemas", APP, PREVIOUS, schema_name=slug, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    return community


def break_migrations_table(slug: str) -> None:
    """Hide the schema's migration history: its child then replays everything and fails at once
    on tables that already exist."""
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{slug}".django_migrations RENAME TO django_migrations_saved')


def repair_migrations_table(slug: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{slug}".django_migrations')
        cursor.execute(f'ALTER TABLE "{slug}".django_migrations_saved RENAME TO django_migrations')


@pytest.fixture
def committed(world, django_db_blocker):
    """Committed CPTS made by the test, dropped afterwards."""
    made: list[str] = []
    with django_db_blocker.unblock():
        yield made
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            for slug in made:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
        Community.objects.filter(schema_name__in=made).delete()


def test_up_to_date_schemas_are_skipped_and_a_lagging_one_is_migrated(world, committed):
    committed.append(lagging_cpts("en-retard").schema_name)
    everything = community_schemas()
    assert {world.a.schema_name, world.b.schema_name, "en-retard"} <= set(everything)

    assert outdated_schemas(everything) == {"en-retard": 1}

    lines: list[str] = []
    report = migrate_communities(jobs=2, progress=lines.append)
    assert report.migrated == ["en-retard"]
    assert report.failed == {}
    assert report.skipped == len(everything) - 1
    assert report.children == 1
    assert outdated_schemas(everything) == {}
    with schema_context("en-retard"), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = %s", [APP])
        assert cursor.fetchone()[0] == 2
    assert any("[1/1] en-retard : 1 migration(s)" in line for line in lines)


def test_a_failing_schema_is_reported_the_others_migrate_and_a_new_pass_resumes(world, committed, capsys):
    for slug in ("retard-un", "retard-deux", "casse"):
        committed.append(lagging_cpts(slug).schema_name)
    break_migrations_table("casse")

    with pytest.raises(CommandError, match="1 schéma\\(s\\) en échec .*: casse"):
        call_command("migrate_platform", jobs=2, per_process=1)
    output = capsys.readouterr().out
    assert "casse : ÉCHEC — ProgrammingError" in output
    assert "0 en échec" not in output
    connection.set_schema_to_public()
    assert set(outdated_schemas(["retard-un", "retard-deux"])) == set()

    repair_migrations_table("casse")
    assert outdated_schemas(community_schemas()) == {"casse": 1}
    report = migrate_communities(jobs=2)
    assert (report.migrated, report.failed) == (["casse"], {})
    assert outdated_schemas(community_schemas()) == {}


def test_a_cpts_whose_schema_is_gone_is_reported_not_fatal(world, committed):
    committed.append("disparue")
    ghost = Community(schema_name="disparue", name="Disparue", status=Community.Status.CLOSED)
    ghost.auto_create_schema = False
    ghost.save()

    report = migrate_communities(jobs=1)
    assert report.failed == {"disparue": "schéma absent de la base"}
    assert report.migrated == []


def test_a_pass_with_nothing_to_apply_runs_no_migrate_and_touches_no_schema(world, committed):
    signalled: list[str] = []

    def on_post_migrate(sender, using, **kwargs):
        signalled.append(sender.label)

    post_migrate.connect(on_post_migrate, dispatch_uid="nothing-to-apply")
    try:
        with CaptureQueriesContext(connection) as queries:
            report = migrate_everything(jobs=2)
    finally:
        post_migrate.disconnect(dispatch_uid="nothing-to-apply")

    assert signalled == []
    assert (report.children, report.migrated, report.failed) == (0, [], {})
    assert report.skipped == report.total == len(community_schemas())
    # Nothing per schema: the only queries naming a CPTS are the comparison's (its catalog lookup
    # and the query itself), and they name every CPTS at once.
    naming_alpha = [query["sql"] for query in queries if world.a.schema_name in query["sql"]]
    assert len(naming_alpha) == 2
    assert all(world.b.schema_name in sql for sql in naming_alpha)


@pytest.mark.parametrize(
    ("count", "jobs", "per_process", "sizes"),
    [
        (60, 3, 100, [20, 20, 20]),
        (1000, 3, 100, [84, 84, 84, 84] + [83] * 8),
        (1000, 4, 100, [84] * 4 + [83] * 8),
        (7, 8, 100, [7]),
        (45, 8, 100, [23, 22]),
        (61, 8, 100, [21, 20, 20]),
        (200, 8, 100, [25] * 8),
        (10, 2, 1, [1] * 10),
        (1, 2, 100, [1]),
        (0, 2, 100, []),
    ],
)
def test_batches_are_cut_evenly_over_the_jobs(count, jobs, per_process, sizes):
    schemas = [f"cpts-{index:04d}" for index in range(count)]
    batches = split_evenly(schemas, jobs=jobs, per_process=per_process)
    assert [len(batch) for batch in batches] == sizes
    assert [schema for batch in batches for schema in batch] == schemas


@pytest.mark.parametrize(
    ("count", "jobs", "per_process", "min_per_process", "sizes"),
    [
        (7, 8, 100, 1, [1] * 7),
        (7, 8, 100, 3, [4, 3]),
        (30, 4, 10, 20, [10, 10, 10]),
    ],
)
def test_a_child_starts_only_for_enough_schemas_and_never_for_more_than_per_process(
    count, jobs, per_process, min_per_process, sizes
):
    schemas = [f"cpts-{index:04d}" for index in range(count)]
    batches = split_evenly(schemas, jobs=jobs, per_process=per_process, min_per_process=min_per_process)
    assert [len(batch) for batch in batches] == sizes
    assert [schema for batch in batches for schema in batch] == schemas


def test_a_small_deploy_starts_one_child_whatever_the_jobs(world, committed):
    slugs = ["petit-un", "petit-deux", "petit-trois"]
    for slug in slugs:
        committed.append(lagging_cpts(slug).schema_name)

    lines: list[str] = []
    report = migrate_communities(jobs=3, progress=lines.append)

    assert (report.children, sorted(report.migrated), report.failed) == (1, sorted(slugs), {})
    assert any("3 à migrer (1 processus, 1 en parallèle" in line for line in lines)
    assert outdated_schemas(community_schemas()) == {}


def test_one_child_migrates_several_schemas_with_post_migrate_in_each(world, committed):
    slugs = ["lot-un", "lot-deux", "lot-trois"]
    for slug in slugs:
        committed.append(lagging_cpts(slug).schema_name)
        # Content types are per CPTS (permissions are public): post_migrate recreates missing ones.
        with schema_context(slug), connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_content_type WHERE app_label = %s", [APP])
    ContentType.objects.clear_cache()

    report = migrate_communities(jobs=1)

    assert report.children == 1
    assert sorted(report.migrated) == sorted(slugs)
    for slug in slugs:
        with schema_context(slug):
            assert set(ContentType.objects.filter(app_label=APP).values_list("model", flat=True)) == {
                "projectversion",
                "axis",
                "action",
            }
    ContentType.objects.clear_cache()


def test_migrating_a_schema_never_lists_the_whole_catalog(world, committed):
    committed.append(lagging_cpts("sans-balayage").schema_name)
    with CaptureQueriesContext(connection) as queries:
        applied = SchemaMigrator().migrate("sans-balayage")
    connection.set_schema_to_public()

    assert applied == 1
    assert outdated_schemas(["sans-balayage"]) == {}
    # Listing the visible tables scans every relation of every schema: at 1,000 CPTS, O(N) per
    # schema and O(N²) per pass.
    assert not [query["sql"] for query in queries if "pg_table_is_visible" in query["sql"]]
