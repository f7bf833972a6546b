"""Archives built by a worker instead of inside a request: a person's data, a CPTS's archive.

A request records a ``DataExport`` (``pending``) and publishes ``gdpr.build_export`` after commit.
The worker builds the file, stores it through ``default_storage`` in the **public** schema's
prefix (local folder or bucket alike; never under a CPTS's prefix, so a CPTS's own archive does not
contain earlier archives), marks it ready for ``DATA_EXPORT_RETENTION_DAYS`` and e-mails the
person who asked, in French, a link to the page listing their exports. Who may download: the
account itself for its personal data, operators for a CPTS's archive. Past the delay the retention
job (``purge_expired_exports``) deletes the file and marks the export expired.

Every step runs twice and acts once: a build finds its export already ready (and only re-sends
the mail, which is keyed), the purge finds nothing left past its delay.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from apps.audit.log import record
from apps.mailing import mail
from tenants.models import Community
from tenants.queue import enqueue_on_commit
from tenants.transfer import TransferError, default_archive_name, export_community

from . import personal_data
from .models import DataExport

logger = logging.getLogger(__name__)

# Storage or network that did not answer: the build is retried by the task, not failed.
TRANSIENT_ERRORS = (ConnectionError, TimeoutError)
FOLDER = "exports"


def retention_days() -> int:
    return settings.DATA_EXPORT_RETENTION_DAYS


def display_state(export: DataExport, now: datetime | None = None) -> str:
    """What the person sees: pending, ready, failed or expired (a ready export past its date is
    expired even before the purge removed its file)."""
    now = now or timezone.now()
    if export.status == DataExport.Status.READY and export.expires_at and export.expires_at <= now:
        return DataExport.Status.EXPIRED
    return export.status


def is_downloadable(export: DataExport, now: datetime | None = None) -> bool:
    return display_state(export, now) == DataExport.Status.READY and bool(export.file_name)


def download_name(export: DataExport) -> str:
    if export.kind == DataExport.Kind.COMMUNITY:
        return default_archive_name(export.schema_name)
    return f"mes-donnees-{timezone.localtime(export.ready_at or export.requested_at):%Y%m%d}.zip"


def request_personal_export(*, actor, page_url: str = "") -> DataExport:
    """Ask for ``actor``'s data; the archive is built by a worker. While one is in preparation,
    asking again returns it (no second build, no second log line). The request is recorded in the
    log of the CPTS the person asked from."""
    with transaction.atomic():
        with schema_context(get_public_schema_name()):
            # One request at a time per account, even from two tabs: the account row is the lock.
            get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
            pending = DataExport.objects.filter(
                kind=DataExport.Kind.PERSON, requested_by=actor, status=DataExport.Status.PENDING
            ).first()
            if pending is not None:
                return pending
            export = DataExport.objects.create(
                kind=DataExport.Kind.PERSON, requested_by=actor, page_url=page_url
            )
            enqueue_on_commit("gdpr.build_export", export.pk)
        record(actor, "gdpr.data_exported", actor)
    return export


def request_community_export(*, actor, community: Community, page_url: str = "") -> DataExport:
    """An operator asks for ``community``'s archive (``tenants.transfer``); built by a worker.
    Recorded in the platform's log. One in preparation per CPTS at a time."""
    if not getattr(actor, "is_operator", False):
        raise PermissionDenied
    with transaction.atomic(), schema_context(get_public_schema_name()):
        Community.objects.select_for_update().filter(pk=community.pk).first()
        pending = DataExport.objects.filter(
            kind=DataExport.Kind.COMMUNITY,
            schema_name=community.schema_name,
            status=DataExport.Status.PENDING,
        ).first()
        if pending is not None:
            return pending
        export = DataExport.objects.create(
            kind=DataExport.Kind.COMMUNITY,
            requested_by=actor,
            schema_name=community.schema_name,
            page_url=page_url,
        )
        record(actor, "platform.community_exported", community)
        enqueue_on_commit("gdpr.build_export", export.pk)
    return export


def _write_file(export: DataExport, spool) -> None:
    """Build the export's content into the open binary file ``spool``. Raises TransferError."""
    if export.kind == DataExport.Kind.COMMUNITY:
        export_community(export.schema_name, spool)
    else:
        spool.write(personal_data.build_archive(export.requested_by))


def build_export(export_id: int) -> str:
    """Build and store a pending export, then e-mail its owner (see the module docstring).
    Returns what it did: ``built``, ``failed``, ``mailed`` (already built), ``expired``, ``gone``."""
    with schema_context(get_public_schema_name()):
        export = DataExport.objects.select_related("requested_by").filter(pk=export_id).first()
        if export is None:
            return "gone"
        outcome = "mailed"
        if export.status == DataExport.Status.PENDING:
            outcome = _build(export)
            export.refresh_from_db()
        if export.status == DataExport.Status.READY and display_state(export) == DataExport.Status.READY:
            _mail(export, "ready")
        elif export.status == DataExport.Status.FAILED:
            _mail(export, "failed")
        else:
            return "expired"
        return outcome


def _build(export: DataExport) -> str:
    extension = "tar.gz" if export.kind == DataExport.Kind.COMMUNITY else "zip"
    wanted = f"{FOLDER}/{export.kind}/{export.pk}-{secrets.token_urlsafe(12)}.{extension}"
    with tempfile.TemporaryFile() as spool:
        try:
            _write_file(export, spool)
        except TRANSIENT_ERRORS:
            raise  # the task is retried later; the export stays in preparation
        except TransferError as error:
            return _fail(export, str(error))
        except Exception:
            # A bug, not the person's doing: logged in full (and to Sentry), told as a failure
            # rather than left « en préparation » forever.
            logger.exception("export %s could not be built", export.pk)
            return _fail(export, _("erreur interne"))
        size = spool.tell()
        spool.seek(0)
        name = default_storage.save(wanted, File(spool, name=wanted))
    now = timezone.now()
    with transaction.atomic():
        won = DataExport.objects.filter(pk=export.pk, status=DataExport.Status.PENDING).update(
            status=DataExport.Status.READY,
            file_name=name,
            size=size,
            ready_at=now,
            expires_at=now + timedelta(days=retention_days()),
        )
        if not won:
            # Another run of the same build finished first: keep its file, drop this one.
            transaction.on_commit(lambda: _delete_files([name]))
    return "built" if won else "mailed"


def _fail(export: DataExport, reason: str) -> str:
    DataExport.objects.filter(pk=export.pk, status=DataExport.Status.PENDING).update(
        status=DataExport.Status.FAILED, error=reason[:2000]
    )
    return "failed"


def _mail(export: DataExport, state: str) -> None:
    account = export.requested_by
    if not account.is_active or not account.email:
        return
    if export.kind == DataExport.Kind.COMMUNITY:
        name = Community.objects.filter(schema_name=export.schema_name).values_list("name", flat=True).first()
        subject = (
            _("L'archive de « %(name)s » est prête")
            if state == "ready"
            else _("L'archive de « %(name)s » a échoué")
        ) % {"name": name or export.schema_name}
    else:
        name = ""
        subject = (
            _("Vos données personnelles sont prêtes")
            if state == "ready"
            else _("La préparation de vos données personnelles a échoué")
        )
    mail.send(
        key=f"gdpr.export_{state}:{export.pk}",
        to=account.email,
        subject=subject,
        template=f"compliance/email/export_{state}",
        context={
            "user": account,
            "export": export,
            "community_name": name,
            "page_url": export.page_url,
            "days": retention_days(),
        },
        kind="gdpr.export",
    )


def purge_expired_exports(now: datetime | None = None) -> int:
    """Delete the files of exports past their date and mark them expired; returns how many.
    Idempotent: a second run finds none. A file goes only once its row says so (after commit)."""
    now = now or timezone.now()
    with schema_context(get_public_schema_name()), transaction.atomic():
        due = list(
            DataExport.objects.select_for_update(skip_locked=True).filter(
                status=DataExport.Status.READY, expires_at__lte=now
            )
        )
        names = [export.file_name for export in due if export.file_name]
        DataExport.objects.filter(pk__in=[export.pk for export in due]).update(
            status=DataExport.Status.EXPIRED, file_name=""
        )
        transaction.on_commit(lambda: _delete_files(names))
    return len(due)


def _delete_files(names: list[str]) -> None:
    with schema_context(get_public_schema_name()):
        for name in names:
            default_storage.delete(name)


def personal_exports(user) -> list[DataExport]:
    with schema_context(get_public_schema_name()):
        return list(DataExport.objects.filter(kind=DataExport.Kind.PERSON, requested_by=user)[:10])


def community_exports() -> list[DataExport]:
    with schema_context(get_public_schema_name()):
        return list(DataExport.objects.filter(kind=DataExport.Kind.COMMUNITY)[:50])
