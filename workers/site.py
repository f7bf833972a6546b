"""Tasks of the public site (apps.site)."""

from __future__ import annotations

from celery import shared_task

from apps.site import mails, services
from workers.base import TenantTask, fan_out


@shared_task(base=TenantTask, name="site.notify_message")
def notify_team_of_message_task(schema_name: str, message_id: int) -> str:
    """E-mail the team about a visitor message once. Runs twice, sends once."""
    return mails.notify_team_of_message(message_id)


@shared_task(base=TenantTask, name="site.sweep_orphan_images")
def sweep_orphan_images_task(schema_name: str) -> int:
    """Remove this CPTS's editor images never saved into content (after a delay). Runs twice,
    removes once."""
    return services.sweep_orphan_images()


@shared_task(name="site.fan_out_orphan_images")
def fan_out_orphan_images_task() -> int:
    """Beat entry (daily): one orphan-image sweep per active CPTS, spread over ten minutes."""
    return fan_out(sweep_orphan_images_task, spread_seconds=600)
