"""Retention of personal data in one CPTS: what is past its delay (settings) is deleted.

Run per CPTS by beat (``workers/gdpr.py``, through ``workers.base.fan_out``). Idempotent: a second
run finds nothing past its delay and does nothing (not even a log line).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.audit.log import purge_before, record
from apps.directory.models import ImportRun
from apps.site.models import VisitorMessage
from tenants.actors import SYSTEM


def apply_retention(now: datetime | None = None) -> dict[str, int]:
    """Delete, in the current CPTS: visitor messages older than VISITOR_MESSAGE_RETENTION_DAYS,
    import files (national extracts: names and addresses) of finished imports older than
    IMPORT_FILE_RETENTION_DAYS, audit lines older than AUDIT_LOG_RETENTION_DAYS. Returns the counts;
    records them in the log when anything went."""
    now = now or timezone.now()
    counts = {"visitor_messages": 0, "import_files": 0, "audit_lines": 0}
    with transaction.atomic():
        counts["visitor_messages"], _rows = VisitorMessage.objects.filter(
            created_at__lt=now - timedelta(days=settings.VISITOR_MESSAGE_RETENTION_DAYS)
        ).delete()
        runs = (
            ImportRun.objects.select_for_update()
            .filter(created_at__lt=now - timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS))
            .exclude(status__in=[ImportRun.Status.PENDING, ImportRun.Status.RUNNING])
            .filter(~Q(rpps_file="") | ~Q(finess_file=""))
        )
        names = []
        for run in runs:
            names += [name for name in (run.rpps_file, run.finess_file) if name]
            ImportRun.objects.filter(pk=run.pk).update(rpps_file="", finess_file="")
        counts["import_files"] = len(names)
        # Files go once the rows say so: a rollback keeps both.
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
        counts["audit_lines"] = purge_before(now - timedelta(days=settings.AUDIT_LOG_RETENTION_DAYS))
        if any(counts.values()):
            record(SYSTEM, "gdpr.retention_applied", None, **counts)
    return counts
