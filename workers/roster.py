"""Tasks of the soins-non-programmés roster (apps.roster). Retries: declared on TenantTask."""

from __future__ import annotations

from celery import shared_task

from apps.roster.services import send_gap_request_mails
from workers.base import TenantTask


@shared_task(base=TenantTask, name="roster.send_gap_request")
def send_gap_request_task(schema_name: str, gap_request_id: int) -> int:
    """Tell the volunteers of a gap request; runs twice, tells each once (stamped rows)."""
    return send_gap_request_mails(gap_request_id)
