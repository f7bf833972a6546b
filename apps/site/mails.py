"""The e-mail telling the team about a visitor's message, through the one mail path
(apps.mailing.mail). Called by the worker (a thin task)."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from apps.mailing import mail
from apps.members.models import Membership, Role

from .models import VisitorMessage
from .selectors import get_site_settings


def team_recipients() -> list[str]:
    """The site's team address if set, else every active team member and admin of this CPTS."""
    address = get_site_settings().contact_email
    if address:
        return [address]
    emails = Membership.objects.filter(is_active=True, role__in=[Role.TEAM, Role.ADMIN]).values_list(
        "user__email", flat=True
    )
    return sorted(set(emails))


def notify_team_of_message(message_id: int) -> str:
    """E-mail the team about a visitor message once (row locked, mailed, stamped); the team's reply
    goes to the visitor. Returns "sent", "skipped" or "no-recipient"."""
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
        outcome = mail.send(
            key=f"site.visitor_message:{message.pk}",
            to=recipients,
            subject=mail.render_text("site/email/visitor_message_subject.txt", context),
            template="site/email/visitor_message",
            context=context,
            reply_to=[message.email],
            kind="site.visitor_message",
        )
        if not outcome.done:
            return "skipped"
        message.notified_at = timezone.now()
        message.save(update_fields=["notified_at"])
    return "sent"
