"""The calendar invitations of working-group meetings, through the one notification service
(``apps.notifications.service.notify``: the member's preference, the in-app list, the one mail
path). Called by the task ``working_groups.send_meeting_invitations``."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.mailing import mail
from apps.members.models import Membership
from apps.notifications.service import Delivery, notify

from .ical import meeting_invitation
from .models import GroupMember, Meeting, MeetingInvitation

MEETING_KIND = "working_groups.meeting"


def send_meeting_invitations(meeting_id: int) -> int:
    """E-mail the meeting's current version (.ics attached) to each participant who has not had it:
    the group's members with an active membership while the meeting stands (METHOD:REQUEST), and,
    once it is cancelled, those who were invited (METHOD:CANCEL). Runs twice, sends each version
    once (mail key per meeting, person and SEQUENCE). Returns how many e-mails were sent."""
    meeting = Meeting.objects.select_related("group").filter(pk=meeting_id).first()
    if meeting is None:
        return 0
    cancelled = meeting.cancelled_at is not None
    if cancelled:
        user_ids = MeetingInvitation.objects.filter(meeting=meeting, cancelled=False).values_list(
            "user_id", flat=True
        )
    elif meeting.starts_at <= timezone.now():
        return 0
    else:
        user_ids = GroupMember.objects.filter(group=meeting.group).values_list("user_id", flat=True)
    memberships = Membership.objects.filter(user_id__in=list(user_ids), is_active=True).select_related("user")
    community = mail.current_community()
    url = community.primary_url().rstrip("/") + reverse(
        "working_groups:meeting", kwargs={"pk": meeting.group_id, "meeting_id": meeting.pk}
    )
    sent = 0
    for membership in memberships:
        user = membership.user
        ics = meeting_invitation(
            meeting,
            community=community,
            attendee_email=user.email,
            attendee_name=user.get_full_name(),
            url=url,
        )
        method = "CANCEL" if cancelled else "REQUEST"
        if cancelled:
            subject = _("Réunion annulée : %(group)s, %(date)s")
        elif meeting.sequence:
            subject = _("Réunion modifiée : %(group)s, %(date)s")
        else:
            subject = _("Invitation : %(group)s, %(date)s")
        date = timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y %H:%M")
        with transaction.atomic():
            outcome = notify(
                user=user,
                key=f"working_groups.meeting:{meeting.pk}:{user.pk}:{meeting.sequence}",
                url=url,
                subject=subject % {"group": meeting.group.name, "date": date},
                template="working_groups/email/meeting_invitation",
                context={"meeting": meeting, "user": user, "url": url, "cancelled": cancelled},
                kind=MEETING_KIND,
                attachments=[("invitation.ics", ics, f"text/calendar; method={method}; charset=utf-8")],
            )
            if outcome.done:
                MeetingInvitation.objects.update_or_create(
                    meeting=meeting,
                    user=user,
                    defaults={
                        "sequence": meeting.sequence,
                        "cancelled": cancelled,
                        "sent_at": timezone.now(),
                    },
                )
        sent += outcome is Delivery.SENT
    return sent
