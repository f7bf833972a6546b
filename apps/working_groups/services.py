"""Writes on working groups. Assumes the connection is set to the CPTS's schema.

The team manages every group; a group's lead manages its meetings, attendance and documents.
Members of a group are chosen among the CPTS's active memberships only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.members.models import Membership, Role
from apps.members.permissions import require_role
from apps.members.selectors import get_membership
from tenants.queue import enqueue_on_commit

from .models import Attendance, GroupDocument, GroupMember, Meeting, WorkingGroup

GROUP_FIELDS = ("name", "description", "mission", "lead", "is_active")
MEETING_FIELDS = ("starts_at", "location", "agenda", "minutes", "external_attendees")
# What participants have in their calendars: a change here sends them the updated invitation.
INVITATION_FIELDS = ("starts_at", "location", "agenda")


def can_manage(actor, group: WorkingGroup) -> bool:
    membership = get_membership(actor)
    return membership is not None and (membership.has_role("team") or group.lead_id == actor.pk)


def _require_manager(actor, group: WorkingGroup) -> None:
    require_role(actor, Role.MEMBER)
    if not can_manage(actor, group):
        raise PermissionDenied(_("Seuls l'équipe et l'animateur du groupe peuvent faire cela."))


def _check_members(user_ids) -> set[int]:
    ids = {int(pk) for pk in user_ids}
    known = set(Membership.objects.filter(user_id__in=ids, is_active=True).values_list("user_id", flat=True))
    if ids - known:
        raise ValidationError(_("Seuls les membres de la CPTS peuvent rejoindre un groupe de travail."))
    return ids


def create_group(*, actor, data: dict, member_ids=()) -> WorkingGroup:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        group = WorkingGroup.objects.create(**{k: v for k, v in data.items() if k in GROUP_FIELDS})
        ids = _check_members(member_ids)
        if group.lead_id:
            ids |= _check_members([group.lead_id])
        GroupMember.objects.bulk_create([GroupMember(group=group, user_id=pk) for pk in ids])
    return group


def update_group(*, actor, group: WorkingGroup, data: dict, member_ids=None) -> WorkingGroup:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        for field, value in data.items():
            if field in GROUP_FIELDS:
                setattr(group, field, value)
        group.save()
        if member_ids is not None:
            ids = _check_members(member_ids)
            if group.lead_id:
                ids |= _check_members([group.lead_id])
            GroupMember.objects.filter(group=group).exclude(user_id__in=ids).delete()
            existing = set(GroupMember.objects.filter(group=group).values_list("user_id", flat=True))
            GroupMember.objects.bulk_create([GroupMember(group=group, user_id=pk) for pk in ids - existing])
    return group


def join_group(*, actor, group: WorkingGroup) -> GroupMember:
    """A member joins an active group by themselves."""
    require_role(actor, Role.MEMBER)
    if not group.is_active:
        raise ValidationError(_("Ce groupe de travail est clos."))
    member, _created = GroupMember.objects.get_or_create(group=group, user_id=actor.pk)
    return member


def leave_group(*, actor, group: WorkingGroup) -> None:
    GroupMember.objects.filter(group=group, user_id=actor.pk).delete()


def _send_invitations(meeting: Meeting) -> None:
    enqueue_on_commit("working_groups.send_meeting_invitations", connection.schema_name, meeting.pk)


def schedule_meeting(*, actor, group: WorkingGroup, data: dict) -> Meeting:
    """Create a meeting; its participants (the group's members) are e-mailed a calendar
    invitation (.ics) once committed, when it lies ahead."""
    _require_manager(actor, group)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            group=group, created_by=actor, **{k: v for k, v in data.items() if k in MEETING_FIELDS}
        )
        if meeting.starts_at > timezone.now():
            _send_invitations(meeting)
    return meeting


def update_meeting(*, actor, meeting: Meeting, data: dict) -> Meeting:
    """Change a meeting. A change of date, place or agenda of a meeting ahead raises its SEQUENCE
    and sends the updated invitation (same UID) to the participants."""
    _require_manager(actor, meeting.group)
    if meeting.cancelled_at is not None:
        raise ValidationError(_("Cette réunion est annulée."))
    with transaction.atomic():
        changed = any(field in data and data[field] != getattr(meeting, field) for field in INVITATION_FIELDS)
        for field, value in data.items():
            if field in MEETING_FIELDS:
                setattr(meeting, field, value)
        meeting.save()
        if changed and meeting.starts_at > timezone.now():
            Meeting.objects.filter(pk=meeting.pk).update(sequence=F("sequence") + 1)
            meeting.refresh_from_db(fields=["sequence"])
            _send_invitations(meeting)
    return meeting


def cancel_meeting(*, actor, meeting: Meeting) -> Meeting:
    """Cancel a meeting: the participants who were invited get METHOD:CANCEL for the same UID,
    which removes it from their calendars. Cancelling twice changes nothing."""
    _require_manager(actor, meeting.group)
    with transaction.atomic():
        updated = Meeting.objects.filter(pk=meeting.pk, cancelled_at__isnull=True).update(
            cancelled_at=timezone.now(), sequence=F("sequence") + 1
        )
        meeting.refresh_from_db(fields=["cancelled_at", "sequence"])
        if updated:
            _send_invitations(meeting)
    return meeting


def record_attendance(*, actor, meeting: Meeting, present_user_ids) -> int:
    """Replace the attendance of ``meeting``: the group's members listed are present, the others
    absent. People outside the group are refused. Returns the number present."""
    _require_manager(actor, meeting.group)
    present = {int(pk) for pk in present_user_ids}
    group_members = set(GroupMember.objects.filter(group=meeting.group).values_list("user_id", flat=True))
    if present - group_members:
        raise ValidationError(_("Seuls les membres du groupe peuvent être notés présents."))
    with transaction.atomic():
        Attendance.objects.filter(meeting=meeting).delete()
        Attendance.objects.bulk_create(
            [Attendance(meeting=meeting, user_id=pk, present=pk in present) for pk in sorted(group_members)]
        )
    return len(present)


def add_document(
    *, actor, group: WorkingGroup, title: str, file, meeting: Meeting | None = None
) -> GroupDocument:
    """Store a document through default_storage (under the CPTS's own prefix)."""
    _require_manager(actor, group)
    if meeting is not None and meeting.group_id != group.pk:
        raise ValidationError(_("Cette réunion n'appartient pas au groupe."))
    return GroupDocument.objects.create(
        group=group, meeting=meeting, title=title, file=file, uploaded_by=actor
    )
