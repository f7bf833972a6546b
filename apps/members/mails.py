"""The e-mails of memberships: invitations and role changes. Called by the workers (thin tasks);
each locks its row, sends through the one mail path (apps.mailing.mail) and stamps the row, so a
task run twice sends once."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.mailing import mail

from .models import Invitation, RoleChange
from .services import issue_invitation_token


def send_invitation(invitation_id: int) -> str:
    """E-mail a pending invitation once, with a freshly drawn token. Returns "sent" or "skipped"."""
    community = connection.tenant
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or invitation.sent_at is not None or not invitation.is_pending:
            return "skipped"
        token = issue_invitation_token(invitation)
        outcome = mail.send(
            key=f"members.invitation:{invitation.pk}",
            to=invitation.email,
            subject=_("Invitation à rejoindre %(community)s") % {"community": community.designation},
            template="members/email/invitation",
            context={"invitation": invitation, "url": f"{community.primary_url()}invitation/{token}/"},
            kind="members.invitation",
        )
        if not outcome.done:
            return "skipped"
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
    return "sent"


def notify_role_change(change_id: int) -> str:
    """Tell a person their role here changed or was withdrawn, once. Returns "sent" or "skipped"."""
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
        if change.is_removal:
            subject = _("Vous ne faites plus partie de %(community)s") % {"community": community.designation}
        else:
            subject = _("Votre rôle dans %(community)s a changé") % {"community": community.designation}
        outcome = mail.send(
            key=f"members.role_change:{change.pk}",
            to=change.user.email,
            subject=subject,
            template="members/email/role_change",
            context={"change": change, "url": community.primary_url()},
            kind="members.role_change",
        )
        if not outcome.done:
            return "skipped"
        change.notified_at = timezone.now()
        change.save(update_fields=["notified_at"])
    return "sent"
