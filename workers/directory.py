"""Directory tasks: imports of national extracts, e-mails to listing requesters."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from workers.base import TenantTask

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, name="directory.run_import")
def run_import_task(schema_name: str, run_id: int) -> str:
    """Run one ImportRun. Runs twice, imports once: the run is claimed by a conditional UPDATE
    (pending → running). Progress is written to the row while the files are read."""
    from apps.directory.importing import BrokenFile, run_import
    from apps.directory.models import ImportRun

    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.PENDING).update(
        status=ImportRun.Status.RUNNING, started_at=timezone.now(), phase="read"
    )
    if not claimed:
        return "skipped"
    run = ImportRun.objects.get(pk=run_id)
    names = [name for name in (run.rpps_file, run.finess_file) if name]

    def progress(read: int, total: int, phase: str) -> None:
        ImportRun.objects.filter(pk=run_id).update(bytes_read=read, bytes_total=total, phase=phase)

    try:
        report = run_import(
            actor=None,
            rpps_path=default_storage.path(run.rpps_file) if run.rpps_file else None,
            finess_path=default_storage.path(run.finess_file) if run.finess_file else None,
            progress=progress,
        )
    except (BrokenFile, OSError) as error:
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportRun.Status.FAILED, error=str(error), finished_at=timezone.now()
        )
        result = "failed"
    except Exception:
        logger.exception("directory import %s failed", run_id)
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportRun.Status.FAILED,
            error="Erreur inattendue : l'import a été annulé, rien n'a été modifié.",
            finished_at=timezone.now(),
        )
        raise
    else:
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportRun.Status.DONE, report=report, phase="done", finished_at=timezone.now()
        )
        result = "done"
    finally:
        for name in names:
            default_storage.delete(name)
    return result


@shared_task(base=TenantTask, name="directory.notify_listing_requester", bind=True, max_retries=5)
def notify_listing_requester_task(self, schema_name: str, listing_id: int) -> str:
    """Tell the requester the team's decision. Runs twice, sends once (row locked and stamped)."""
    from apps.directory.models import ListingRequest

    community = connection.tenant
    with transaction.atomic():
        listing = ListingRequest.objects.select_for_update().filter(pk=listing_id).first()
        if (
            listing is None
            or listing.notified_at is not None
            or listing.status == ListingRequest.Status.PENDING
        ):
            return "skipped"
        context = {"community": community, "listing": listing, "url": community.primary_url()}
        accepted = listing.status == ListingRequest.Status.ACCEPTED
        try:
            send_mail(
                subject=(
                    f"Votre fiche est publiée dans l'annuaire de {community.name}"
                    if accepted
                    else f"Votre demande de référencement auprès de {community.name}"
                ),
                message=render_to_string("directory/email/listing_decision.txt", context),
                from_email=None,
                recipient_list=[listing.email],
            )
        except OSError as exc:  # SMTP unreachable: transient
            raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1)) from exc
        listing.notified_at = timezone.now()
        listing.save(update_fields=["notified_at"])
    return "sent"
