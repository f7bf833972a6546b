"""Archives built out of the request: a person's data and a CPTS's archive are built by a worker,
stored through the default storage (public schema's prefix), announced by e-mail, downloadable by
the right people while valid, then purged by the retention job (run twice, act once)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.compliance import exports
from apps.compliance.models import DataExport
from tenants.queue import registered_task
from tests.conftest import HOST_A, wait_until


def _stored(name: str) -> bool:
    with schema_context("public"):
        return default_storage.exists(name)


def test_asking_twice_while_in_preparation_builds_once(bob, client_as, django_capture_on_commit_callbacks):
    client = client_as(bob, HOST_A)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/mon-espace/mes-donnees/archive/")
        client.post("/mon-espace/mes-donnees/archive/")
    assert DataExport.objects.filter(requested_by=bob).count() == 1
    assert len([c for c in callbacks if "gdpr.build_export" in repr(c)]) == 1
    page = client.get("/mon-espace/mes-donnees/").content.decode()
    assert "En préparation" in page


def test_the_build_runs_twice_and_mails_once(bob, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        export = exports.request_personal_export(
            actor=bob, page_url="http://alpha.localhost/mon-espace/mes-donnees/"
        )
    assert exports.build_export(export.pk) == "built"
    assert exports.build_export(export.pk) == "mailed"
    export.refresh_from_db()
    assert export.status == "ready" and export.size > 0 and _stored(export.file_name)
    assert export.file_name.startswith("exports/person/")
    assert export.expires_at - export.ready_at == timedelta(days=settings.DATA_EXPORT_RETENTION_DAYS)
    assert len(mailoutbox) == 1


def test_an_expired_archive_is_refused_and_purged_once(bob, client_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_personal_export(actor=bob)
    export.refresh_from_db()
    name = export.file_name
    assert _stored(name)
    client = client_as(bob, HOST_A)
    link = f"/mon-espace/mes-donnees/archive/{export.pk}/"
    assert client.get(link).status_code == 200
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(link).status_code == 404
    assert "Expirée" in client.get("/mon-espace/mes-donnees/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        first = exports.purge_expired_exports()
    with django_capture_on_commit_callbacks(execute=True):
        second = exports.purge_expired_exports()
    assert (first, second) == (1, 0)
    export.refresh_from_db()
    assert (export.status, export.file_name) == ("expired", "")
    assert not _stored(name)
    # A valid one is left alone by the purge.
    with django_capture_on_commit_callbacks(execute=True):
        kept = exports.request_personal_export(actor=bob)
    with django_capture_on_commit_callbacks(execute=True):
        assert exports.purge_expired_exports() == 0
    kept.refresh_from_db()
    assert kept.status == "ready" and _stored(kept.file_name)


def test_every_retention_job_is_run_by_beat():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("gdpr.fan_out_retention", "gdpr.purge_expired_exports"):
        assert name in tasks
        registered_task(name)


@pytest.mark.worker
def test_a_real_worker_builds_the_archive_and_mails_the_person(real_worker, world, django_db_blocker):
    with django_db_blocker.unblock():
        export = exports.request_personal_export(
            actor=world.bob, page_url="http://alpha.localhost/mon-espace/mes-donnees/"
        )
        try:

            def ready():
                export.refresh_from_db()
                return export.status == "ready" and real_worker.sent_mails()

            assert wait_until(ready, timeout=60), real_worker.log()
            mails = real_worker.sent_mails()
            assert len(mails) == 1
            assert "bob@test.fr" in mails[0] and "http://alpha.localhost/mon-espace/mes-donnees/" in mails[0]
            with schema_context("public"), default_storage.open(export.file_name, "rb") as handle:
                archive = zipfile.ZipFile(io.BytesIO(handle.read()))
            assert json.loads(archive.read("donnees.json"))["compte"]["email"] == "bob@test.fr"
        finally:
            if export.file_name:
                with schema_context("public"):
                    default_storage.delete(export.file_name)
            DataExport.objects.filter(pk=export.pk).delete()
    assert "gdpr.build_export" in real_worker.log()
