"""Directory tasks: the import runs in a real worker, in A only; tasks run twice, act once."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django_tenants.utils import schema_context

from apps.directory.models import Entry, ImportRun
from apps.territory import services as territory_services
from apps.territory.models import TerritoryCommune
from tenants.actors import SYSTEM
from tests.conftest import wait_until
from tests.factories.directory_files import rpps_file, rpps_number, rpps_row
from workers.directory import recover_imports_task, run_import_task

ROWS = [
    rpps_row(rpps=rpps_number(901), last_name="Lefèvre", first_name="Chloé", commune="42218", postcode="42000",
             city="Saint-Étienne"),
    rpps_row(rpps=rpps_number(902), last_name="Roux", first_name="Luc", commune="69123", postcode="69001",
             city="Lyon"),
]  # fmt: skip


def _queue_run(schema: str) -> ImportRun:
    with schema_context(schema):
        name = default_storage.save("directory/imports/worker-test-rpps.txt", ContentFile(rpps_file(ROWS)))
        return ImportRun.objects.create(rpps_file=name)


@pytest.mark.worker
def test_a_real_worker_imports_in_a_and_never_writes_b(real_worker, world, django_db_blocker):
    a, b = world.a.schema_name, world.b.schema_name
    with django_db_blocker.unblock():
        with schema_context(a):
            territory_services.add_communes(actor=SYSTEM, codes=["42218"])
        run = _queue_run(a)
        try:
            with schema_context(a):
                run_import_task.delay(a, run.pk)

            def finished():
                with schema_context(a):
                    return ImportRun.objects.filter(pk=run.pk, status__in=["done", "failed"]).first()

            done = wait_until(finished, timeout=60)
            with schema_context(a):
                names = list(Entry.objects.values_list("name", flat=True))
                stored_file_left = default_storage.exists(run.rpps_file)
            with schema_context(b):
                b_entries = Entry.objects.count()
        finally:
            with schema_context(a):
                Entry.objects.all().delete()
                ImportRun.objects.all().delete()
                TerritoryCommune.objects.all().delete()
            connection.set_schema_to_public()
    assert done.status == "done", (done.error, real_worker.log())
    assert done.report["rpps"]["created"] == 1 and done.report["rpps"]["outside_territory"] == 1
    assert done.bytes_read == done.bytes_total > 0
    assert names == ["Chloé Lefèvre"]
    assert b_entries == 0
    assert not stored_file_left
    assert "directory.run_import" in real_worker.log()


def test_the_import_task_runs_twice_and_imports_once(territory_a):
    run = _queue_run(territory_a.schema_name)
    assert run_import_task.apply(args=(territory_a.schema_name, run.pk)).get() == "done"
    assert run_import_task.apply(args=(territory_a.schema_name, run.pk)).get() == "skipped"
    with schema_context(territory_a.schema_name):
        assert Entry.objects.count() == 1
        assert ImportRun.objects.get(pk=run.pk).report["rpps"]["created"] == 1


def test_a_broken_upload_fails_the_run_with_its_reason_and_changes_nothing(territory_a):
    with schema_context(territory_a.schema_name):
        name = default_storage.save("directory/imports/broken.txt", ContentFile(b"nom;prenom\nMartin;Paul\n"))
        run = ImportRun.objects.create(rpps_file=name)
    assert run_import_task.apply(args=(territory_a.schema_name, run.pk)).get() == "failed"
    with schema_context(territory_a.schema_name):
        run.refresh_from_db()
        assert run.status == "failed" and "Annuaire Santé" in run.error
        assert Entry.objects.count() == 0


def _stalled_run(schema: str, *, attempts: int = 1) -> ImportRun:
    """A run a worker claimed and then died on: "running", its lock free, its files kept."""
    run = _queue_run(schema)
    with schema_context(schema):
        ImportRun.objects.filter(pk=run.pk).update(status="running", attempts=attempts, bytes_read=10)
    return run


def _lock_from_another_session(schema: str, run_id: int):
    """A second PostgreSQL session holding the run's lock, as a live importing worker does."""
    import psycopg

    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"],
        host=settings["HOST"], port=settings["PORT"] or None, autocommit=True,
    )  # fmt: skip
    other.execute("SELECT pg_advisory_lock(hashtext(%s), %s)", [f"directory-import:{schema}", run_id])
    return other


def _kill(other) -> None:
    """End the other session's server process and return once it is gone, with its locks.

    Closing the client side is not enough: the server process notices the closed socket and
    releases the lock a moment later (under load, after the next check has already run), so
    the test would see a live worker's lock. ``pg_terminate_backend`` with a timeout waits until
    the process has exited (PostgreSQL ≥ 14), as a killed worker's connection eventually does."""
    pid = other.execute("SELECT pg_backend_pid()").fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 30000)", [pid])
        assert cursor.fetchone()[0], "the other session's process did not exit within 30 s"
    other.close()


def test_an_import_whose_worker_died_is_imported_again(territory_a):
    schema = territory_a.schema_name
    run = _stalled_run(schema)
    assert recover_imports_task.apply(args=(schema,)).get() == {"requeued": 1, "failed": 0}
    with schema_context(schema):
        run.refresh_from_db()
        assert (run.status, run.attempts) == ("done", 2)
        assert Entry.objects.count() == 1
    assert recover_imports_task.apply(args=(schema,)).get() == {"requeued": 0, "failed": 0}


def test_an_import_a_live_worker_holds_is_left_alone(territory_a):
    schema = territory_a.schema_name
    run = _stalled_run(schema)
    other = _lock_from_another_session(schema, run.pk)
    try:
        assert recover_imports_task.apply(args=(schema,)).get() == {"requeued": 0, "failed": 0}
        assert run_import_task.apply(args=(schema, run.pk)).get() == "skipped"
        with schema_context(schema):
            assert ImportRun.objects.get(pk=run.pk).status == "running"
    finally:
        _kill(other)  # the "worker" dies: its lock goes with its connection
    assert recover_imports_task.apply(args=(schema,)).get() == {"requeued": 1, "failed": 0}
    with schema_context(schema):
        assert ImportRun.objects.get(pk=run.pk).status == "done"


def test_an_import_that_keeps_killing_its_worker_is_given_up_with_its_reason(territory_a):
    from workers.directory import MAX_IMPORT_ATTEMPTS

    schema = territory_a.schema_name
    run = _stalled_run(schema, attempts=MAX_IMPORT_ATTEMPTS)
    assert recover_imports_task.apply(args=(schema,)).get() == {"requeued": 0, "failed": 1}
    with schema_context(schema):
        run.refresh_from_db()
        assert (
            run.status == "failed"
            and "interrompu 3 fois" in run.error
            and "rien n'a été modifié" in run.error
        )
        assert Entry.objects.count() == 0
        assert not default_storage.exists(run.rpps_file)


def test_a_run_whose_message_was_lost_is_queued_again(territory_a):
    from datetime import timedelta

    from django.utils import timezone

    schema = territory_a.schema_name
    fresh, lost = _queue_run(schema), _queue_run(schema)
    with schema_context(schema):
        ImportRun.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    assert recover_imports_task.apply(args=(schema,)).get() == {"requeued": 1, "failed": 0}
    with schema_context(schema):
        assert ImportRun.objects.get(pk=lost.pk).status == "done"
        assert ImportRun.objects.get(pk=fresh.pk).status == "pending"


@pytest.mark.worker
def test_the_beat_fan_out_recovers_a_stalled_import_in_a_real_worker(real_worker, world, django_db_blocker):
    from workers.directory import fan_out_import_recovery_task

    a, b = world.a.schema_name, world.b.schema_name
    with django_db_blocker.unblock():
        with schema_context(a):
            territory_services.add_communes(actor=SYSTEM, codes=["42218"])
        run = _stalled_run(a)
        try:
            fan_out_import_recovery_task.delay()

            def finished():
                with schema_context(a):
                    return ImportRun.objects.filter(pk=run.pk, status__in=["done", "failed"]).first()

            done = wait_until(finished, timeout=90)
            with schema_context(a):
                names = list(Entry.objects.values_list("name", flat=True))
            with schema_context(b):
                b_entries = Entry.objects.count()
        finally:
            with schema_context(a):
                Entry.objects.all().delete()
                ImportRun.objects.all().delete()
                TerritoryCommune.objects.all().delete()
            connection.set_schema_to_public()
    assert done.status == "done" and done.attempts == 2, (done.error, real_worker.log())
    assert names == ["Chloé Lefèvre"] and b_entries == 0
    log = real_worker.log()
    assert "directory.fan_out_import_recovery" in log and "directory.recover_imports" in log
