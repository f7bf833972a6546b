"""Tasks of the soins-non-programmés roster (apps.roster)."""

from __future__ import annotations

from celery import shared_task

from apps.roster.services import send_gap_request_mails
from workers.base import TenantTask


@shared_task(base=TenantTask, name="roster.send_gap_request", bind=True, max_retries=5)
def send_gap_request_task(self, schema_name: str, gap_request_id: int) -> int:
    """E-mail the volunteers of a gap request; runs twice, sends each e-mail once (stamped rows)."""
    try:
        return send_gap_request_mails(gap_request_id)
    except OSError as exc:  # SMTP unreachable: transient, the unsent rows are retried
        raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1)) from exc
