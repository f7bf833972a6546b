"""Tasks of the public site (apps.site)."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from workers.base import TenantTask


def team_recipients() -> list[str]:
    """The site's team address if set, else every active team member and admin of this CPTS."""
    from apps.members.models import Membership, Role
    from apps.site.selectors import get_site_settings

    address = get_site_settings().contact_email
    if address:
        return [address]
    emails = Membership.objects.filter(is_active=True, role__in=[Role.TEAM, Role.ADMIN]).values_list(
        "user__email", flat=True
    )
    return sorted(set(emails))


@shared_task(base=TenantTask, name="site.notify_message", bind=True, max_retries=5)
def notify_team_of_message_task(self, schema_name: str, message_id: int) -> str:
    """E-mail the team about a visitor message once. Runs twice, sends once (row locked, stamped)."""
    from apps.site.models import VisitorMessage

    community = connection.tenant
    with transaction.atomic():
        message = VisitorMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.notified_at is not None:
            return "skipped"
        recipients = team_recipients()
        if not recipients:
            return "no-recipient"
        context = {
            "community": community,
            "message": message,
            "url": f"{community.primary_url()}equipe/site/messages/{message.pk}/",
        }
        email = EmailMessage(
            subject=render_to_string("site/email/visitor_message_subject.txt", context).strip(),
            body=render_to_string("site/email/visitor_message.txt", context),
            to=recipients,
            reply_to=[message.email],
        )
        try:
            email.send()
        except OSError as exc:  # SMTP unreachable: transient
            raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1)) from exc
        message.notified_at = timezone.now()
        message.save(update_fields=["notified_at"])
    return "sent"
