from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

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


@shared_task(base=TenantTask, name="members.notify_role_change", bind=True, max_retries=5)
def notify_role_change_task(self, schema_name: str, change_id: int) -> str:
    """Tell a person their role here changed or was withdrawn. Runs twice, sends once."""
    from apps.members.models import RoleChange

    community = connection.tenant
    with transaction.atomic():
        change = (
            RoleChange.objects.select_for_update(of=("self",))
            .select_related("user", "changed_by")
            .filter(pk=change_id)
            .first()
        )
        if change is None or change.notified_at is not None:
            return "skipped"
        context = {"community": community, "change": change, "url": community.primary_url()}
        if change.is_removal:
            subject = _("Vous ne faites plus partie de %(community)s") % {"community": community.name}
        else:
            subject = _("Votre rôle dans %(community)s a changé") % {"community": community.name}
        try:
            send_mail(
                subject=subject,
                message=render_to_string("members/email/role_change.txt", context),
                from_email=None,
                recipient_list=[change.user.email],
            )
        except OSError as exc:  # SMTP unreachable: transient
            raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1)) from exc
        change.notified_at = timezone.now()
        change.save(update_fields=["notified_at"])
    return "sent"
