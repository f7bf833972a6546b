"""Directory tasks: imports of national extracts, e-mails to listing requesters."""

from __future__ import annotations

import logging
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.directory import mails
from apps.directory.importing import BrokenFile, run_import
from apps.directory.models import ImportRun
from apps.directory.national import import_held_extracts, refresh
from tenants.storage import local_copy
from workers.base import TenantTask, fan_out

logger = logging.getLogger(__name__)


# A run still pending this long after it was queued lost its message: queue it again.
REQUEUE_PENDING_AFTER = timedelta(minutes=10)
# A run whose worker died this many times is given up (a file that kills the worker every time).
MAX_IMPORT_ATTEMPTS = 3


def _worker_lock(schema_name: str, run_id: int):
    """Hold the run's PostgreSQL session lock; yields whether it was free.

    The importing worker holds it for the whole import, and PostgreSQL drops it the moment that
    worker's connection dies: a run "running" whose lock is free has lost its worker, however long
    an honest import takes. Needs session-level connections (no transaction-pooling proxy)."""
    # Two keys: the schema's hash and the run's id itself, so two runs never share a lock.
    return _session_lock(f"directory-import:{schema_name}", run_id)


@contextmanager
def _session_lock(name: str, number: int = 0):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", [name, number])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)", [name, number])


@shared_task(base=TenantTask, name="directory.run_import")
def run_import_task(schema_name: str, run_id: int) -> str:
    """Run one ImportRun. Runs twice, imports once: the run is claimed by a conditional UPDATE
    (pending → running) under the run's lock. Progress is written to the row while the files are read."""

    with _worker_lock(schema_name, run_id) as locked:
        if not locked:
            return "skipped"
        claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.PENDING).update(
            status=ImportRun.Status.RUNNING,
            started_at=timezone.now(),
            phase="read",
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return "skipped"
        return _import(run_id)


def _import(run_id: int) -> str:

    run = ImportRun.objects.get(pk=run_id)

    def progress(read: int, total: int, phase: str) -> None:
        ImportRun.objects.filter(pk=run_id).update(bytes_read=read, bytes_total=total, phase=phase)

    try:
        # The parsers read real files: local storage gives its own, object storage a download.
        with ExitStack() as files:
            report = run_import(
                actor=None,
                rpps_path=str(files.enter_context(local_copy(run.rpps_file))) if run.rpps_file else None,
                finess_path=str(files.enter_context(local_copy(run.finess_file)))
                if run.finess_file
                else None,
                progress=progress,
                complete=run.automatic,
                names=run.file_names(),
            )
    except BrokenFile as error:
        _fail(run, error.describe())
        return "failed"
    except OSError as error:
        _fail(run, str(error))
        return "failed"
    except Exception:
        logger.exception("directory import %s failed", run_id)
        _fail(run, _("Erreur inattendue : l'import a été annulé, rien n'a été modifié."))
        raise
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportRun.Status.DONE, report=report, phase="done", finished_at=timezone.now()
    )
    _delete_files(run)
    return "done"


def _fail(run, error: str) -> None:
    run.__class__.objects.filter(pk=run.pk).update(
        status=run.Status.FAILED, error=error, finished_at=timezone.now()
    )
    _delete_files(run)


def _delete_files(run) -> None:
    for name in (run.rpps_file, run.finess_file):
        if name:
            default_storage.delete(name)


@shared_task(base=TenantTask, name="directory.recover_imports")
def recover_imports_task(schema_name: str) -> dict:
    """Imports left behind by a worker that died (killed, out of memory, machine restarted).

    A "running" run whose lock is free goes back to the queue: nothing of it was written, since an
    import writes in one transaction at the end. After MAX_IMPORT_ATTEMPTS, or if its files are
    gone, it fails with the reason. A run still pending long after it was queued is queued again.
    Runs twice, acts once (conditional updates; the import's own claim)."""

    requeue, failed = [], 0
    for run in ImportRun.objects.filter(status=ImportRun.Status.RUNNING):
        with _worker_lock(schema_name, run.pk) as free:
            if not free:
                continue  # a worker is importing it
            running = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING)
            files_kept = all(
                default_storage.exists(name) for name in (run.rpps_file, run.finess_file) if name
            )
            if run.attempts >= MAX_IMPORT_ATTEMPTS or not files_kept:
                what = (
                    _("L'import a été interrompu %(count)s fois (le travailleur s'est arrêté)")
                    % {"count": run.attempts}
                    if files_kept
                    else _("L'import a été interrompu et ses fichiers ont disparu")
                )
                then = (
                    _("la mise à jour de la semaine prochaine le refera.")
                    if run.automatic
                    else _("déposez à nouveau les fichiers pour le relancer, ou contactez le support.")
                )
                error = _("%(what)s : rien n'a été modifié ; %(then)s") % {"what": what, "then": then}
                if running.update(status=ImportRun.Status.FAILED, error=error, finished_at=timezone.now()):
                    _delete_files(run)
                    failed += 1
            elif running.update(status=ImportRun.Status.PENDING, phase="", bytes_read=0):
                requeue.append(run.pk)
    # The weekly refresh queues its imports with a delay of up to NATIONAL_IMPORT_SPREAD_SECONDS.
    now = timezone.now()
    spread = timedelta(seconds=settings.NATIONAL_IMPORT_SPREAD_SECONDS)
    lost = (
        ImportRun.objects.filter(status=ImportRun.Status.PENDING)
        .filter(
            Q(automatic=False, created_at__lt=now - REQUEUE_PENDING_AFTER)
            | Q(automatic=True, created_at__lt=now - REQUEUE_PENDING_AFTER - spread)
        )
        .values_list("pk", flat=True)
    )
    requeue += [pk for pk in lost if pk not in requeue]
    for run_id in requeue:
        run_import_task.delay(schema_name, run_id)
    return {"requeued": len(requeue), "failed": failed}


@shared_task(name="directory.fan_out_import_recovery")
def fan_out_import_recovery_task() -> int:
    """Beat entry: look for imports left behind in every open CPTS."""
    return fan_out(recover_imports_task)


@shared_task(name="directory.refresh_national_extracts")
def refresh_national_extracts_task(urls: dict[str, str] | None = None) -> dict:
    """Beat entry (weekly): download the national extracts that changed, split them by territory in
    one pass and queue one import per CPTS (apps/directory/national.py). One run at a time."""

    urls = urls if urls is not None else settings.NATIONAL_EXTRACT_URLS
    if not any(urls.values()):
        return {"skipped": "no national extract URL configured"}
    connection.set_schema_to_public()
    with _session_lock("directory-national-refresh") as free:
        if not free:
            return {"skipped": "a refresh is already running"}
        return refresh(urls)


@shared_task(base=TenantTask, name="directory.import_held_extracts")
def import_held_extracts_task(schema_name: str, actor_id: int | None = None) -> str:
    """A CPTS that just chose its territory gets its directory from the national extracts the
    platform holds, now rather than at the next weekly refresh. Runs twice, imports once: the
    second call finds the first one's import under way (or done, and then re-imports the same
    lines, which changes nothing)."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    run = import_held_extracts(actor=actor)
    return "queued" if run is not None else "skipped"


@shared_task(base=TenantTask, name="directory.notify_listing_requester")
def notify_listing_requester_task(schema_name: str, listing_id: int) -> str:
    """Tell the requester the team's decision. Runs twice, sends once."""
    return mails.notify_listing_requester(listing_id)
