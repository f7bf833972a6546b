"""Membership e-mails (invitations, role changes): load the id, call the service."""

from __future__ import annotations

from celery import shared_task

from apps.members import mails
from workers.base import TenantTask


@shared_task(base=TenantTask, name="members.send_invitation")
def send_invitation_task(schema_name: str, invitation_id: int) -> str:
    """E-mail an invitation once. Runs twice, sends once."""
    return mails.send_invitation(invitation_id)


@shared_task(base=TenantTask, name="members.notify_role_change")
def notify_role_change_task(schema_name: str, change_id: int) -> str:
    """Tell a person their role here changed or was withdrawn. Runs twice, sends once."""
    return mails.notify_role_change(change_id)
