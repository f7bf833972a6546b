"""Working-group tasks: the calendar invitations of meetings."""

from __future__ import annotations

from celery import shared_task

from apps.working_groups import mails
from workers.base import TenantTask


@shared_task(base=TenantTask, name="working_groups.send_meeting_invitations")
def send_meeting_invitations_task(schema_name: str, meeting_id: int) -> int:
    """E-mail a meeting's invitation (.ics) in its current version. Runs twice, sends once."""
    return mails.send_meeting_invitations(meeting_id)
