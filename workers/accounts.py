from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from workers.base import TenantTask


@shared_task(base=TenantTask, name="members.send_invitation", bind=True, max_retries=5)
def send_invitation_task(self, schema_name: str, invitation_id: int) -> str:
    """E-mail an invitation once. Runs twice, sends once (the row is locked and stamped)."""
    from apps.members.models import Invitation
    from apps.members.services import issue_invitation_token

    community = connection.tenant
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or invitation.sent_at is not None or not invitation.is_pending:
            return "skipped"
        token = issue_invitation_token(invitation)
        url = f"{community.primary_url()}invitation/{token}/"
        context = {"community": community, "invitation": invitation, "url": url}
        try:
            send_mail(
                subject=f"Invitation à rejoindre {community.name}",
                message=render_to_string("members/email/invitation.txt", context),
                from_email=None,
                recipient_list=[invitation.email],
            )
        except OSError as exc:  # SMTP unreachable: transient
            raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1)) from exc
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
    return "sent"
