"""Reads of the current CPTS's projet de santé. Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet, Sum

from .models import Action, Axis, ProjectVersion


def list_versions() -> QuerySet[ProjectVersion]:
    return ProjectVersion.objects.order_by("-number")


def get_validated_version() -> ProjectVersion | None:
    """The version in force: the most recent validated one."""
    return (
        ProjectVersion.objects.filter(status=ProjectVersion.Status.VALIDATED)
        .order_by("-validated_on", "-number")
        .first()
    )


def get_current_version() -> ProjectVersion | None:
    """The validated version if any, else the latest one (a projet still being written)."""
    return get_validated_version() or ProjectVersion.objects.order_by("-number").first()


def get_version(number: int) -> ProjectVersion | None:
    return ProjectVersion.objects.filter(number=number).first()


def list_axes_with_actions(version: ProjectVersion) -> list[Axis]:
    """Axes of ``version`` with their actions (owner and working group loaded): 2 queries."""
    actions = Action.objects.select_related("owner", "working_group").order_by("position", "pk")
    return list(
        Axis.objects.filter(version=version)
        .prefetch_related(Prefetch("actions", queryset=actions))
        .order_by("position", "pk")
    )


def public_summary(version: ProjectVersion) -> list[Axis]:
    """Axes of a version with their number of actions, for the public page (no names, no budget)."""
    return list(
        Axis.objects.filter(version=version)
        .annotate(action_count=Count("actions"))
        .order_by("position", "pk")
    )


def list_actions(version: ProjectVersion) -> QuerySet[Action]:
    return (
        Action.objects.filter(axis__version=version)
        .select_related("axis", "owner", "working_group")
        .order_by("axis__position", "axis__pk", "position", "pk")
    )


def action_budget_total(version: ProjectVersion):
    return Action.objects.filter(axis__version=version).aggregate(total=Sum("budget"))["total"]
