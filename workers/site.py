"""Tasks of the public site (apps.site)."""

from __future__ import annotations

from celery import shared_task

from apps.site import mails
from workers.base import TenantTask


@shared_task(base=TenantTask, name="site.notify_message")
def notify_team_of_message_task(schema_name: str, message_id: int) -> str:
    """E-mail the team about a visitor message once. Runs twice, sends once."""
    return mails.notify_team_of_message(message_id)
