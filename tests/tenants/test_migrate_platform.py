"""Deploy migrations: one comparison query finds the CPTS schemas behind the template, child
processes migrate them in parallel, a failing schema is reported while the others go on, and a new
pass resumes with what is left. Committed for real: the child processes read the test database."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import Community
from tenants.schema_migrations import community_schemas, migrate_communities, outdated_schemas

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
