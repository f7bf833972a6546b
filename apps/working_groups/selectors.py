"""Reads of the current CPTS's working groups. Assumes the connection is set to the CPTS's schema.
Working groups are for members only: views check the role before calling these."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from .models import Attendance, GroupMember, Meeting, WorkingGroup


def list_groups(*, active_only: bool = False) -> QuerySet[WorkingGroup]:
    queryset = WorkingGroup.objects.select_related("lead").annotate(
        member_count=Count("members", distinct=True),
        meeting_count=Count("meetings", distinct=True),
        last_meeting=Max("meetings__starts_at"),
    )
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("-is_active", "name", "pk")


def get_group(group_id: int) -> WorkingGroup | None:
    return WorkingGroup.objects.select_related("lead").filter(pk=group_id).first()


def list_group_members(group: WorkingGroup) -> QuerySet[GroupMember]:
    return (
        GroupMember.objects.filter(group=group)
        .select_related("user")
        .order_by("user__last_name", "user__email")
    )


def list_meetings(group: WorkingGroup) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(group=group)
        .annotate(present_count=Count("attendances", filter=Q(attendances__present=True)))
        .order_by("-starts_at", "-pk")
    )


def get_meeting(group: WorkingGroup, meeting_id: int) -> Meeting | None:
    attendances = Attendance.objects.select_related("user")
    return (
        Meeting.objects.filter(group=group, pk=meeting_id)
        .prefetch_related(Prefetch("attendances", queryset=attendances))
        .first()
    )


def is_group_member(group: WorkingGroup, user) -> bool:
    return GroupMember.objects.filter(group=group, user_id=user.pk).exists()


def count_meetings_held(start: datetime, end: datetime) -> int:
    """Meetings dated within [start, end) and not in the future (for indicators)."""
    return Meeting.objects.filter(starts_at__gte=start, starts_at__lt=min(end, timezone.now())).count()


def count_meeting_attendance(start: datetime, end: datetime) -> int:
    """People present at meetings held within [start, end): members marked present plus guests."""
    meetings = Meeting.objects.filter(starts_at__gte=start, starts_at__lt=min(end, timezone.now()))
    present = Attendance.objects.filter(meeting__in=meetings, present=True).count()
    guests = meetings.aggregate(total=Sum("external_attendees"))["total"] or 0
    return present + guests


def count_active_groups(start: datetime, end: datetime) -> int:
    """Groups that met at least once within [start, end)."""
    return (
        Meeting.objects.filter(starts_at__gte=start, starts_at__lt=min(end, timezone.now()))
        .values("group_id")
        .distinct()
        .count()
    )
