"""API of the projet de santé: ``/api/v1/health-project/versions/`` (read, members) and
``/api/v1/health-project/actions/`` (read for members, follow-up updates for the team)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework import mixins, serializers

from apps.events.api import as_api_error
from apps.members.api_fields import CommunitySerializer
from apps.members.api_views import CommunityGenericViewSet, CommunityReadOnlyModelViewSet
from apps.members.models import Role
from tenants.access import Access

from . import selectors, services
from .models import Action, Axis, ProjectVersion


class ActionSerializer(CommunitySerializer):
    axis_title = serializers.CharField(source="axis.title", read_only=True)
    version = serializers.IntegerField(source="axis.version.number", read_only=True)
    owner_name = serializers.SerializerMethodField()
    working_group_name = serializers.CharField(source="working_group.name", read_only=True, default=None)

    class Meta:
        model = Action
        fields = [
            "id", "version", "axis", "axis_title", "title", "description", "owner", "owner_name", "working_group",
            "working_group_name", "status", "start_date", "end_date", "budget",
        ]  # fmt: skip
        read_only_fields = [
            "id",
            "version",
            "axis",
            "axis_title",
            "title",
            "description",
            "owner_name",
            "working_group_name",
        ]

    def get_owner_name(self, action: Action) -> str | None:
        return (action.owner.get_full_name() or action.owner.email) if action.owner else None


class AxisSerializer(CommunitySerializer):
    actions = ActionSerializer(many=True, read_only=True)

    class Meta:
        model = Axis
        fields = ["id", "mission", "title", "description", "position", "actions"]


class VersionSerializer(CommunitySerializer):
    axes = AxisSerializer(many=True, read_only=True)

    class Meta:
        model = ProjectVersion
        fields = [
            "number", "title", "summary", "diagnosis", "status", "submitted_at", "validated_on", "validating_bodies", "axes",
        ]  # fmt: skip


class ProjectVersionViewSet(CommunityReadOnlyModelViewSet):
    """Versions of the projet de santé with their axes and actions (members of this CPTS)."""

    serializer_class = VersionSerializer
    access = Access.role(Role.MEMBER, write=Role.TEAM)
    lookup_field = "number"
    filterset_fields = ["status"]

    def safely_get_queryset(self):
        return selectors.list_versions().prefetch_related(
            "axes__actions__owner", "axes__actions__working_group", "axes__actions__axis__version"
        )


class ActionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, CommunityGenericViewSet
):
    """Actions of every version. The team updates their follow-up (status, dates, owner, group, budget)."""

    serializer_class = ActionSerializer
    access = Access.role(Role.MEMBER, write=Role.TEAM)
    http_method_names = ["get", "patch", "head", "options"]
    filterset_fields = ["status", "working_group"]

    def safely_get_queryset(self):
        return Action.objects.select_related("axis__version", "owner", "working_group").order_by(
            "-axis__version__number", "axis__position", "position", "pk"
        )

    def perform_update(self, serializer):
        try:
            serializer.instance = services.update_action(
                actor=self.request.user, action=serializer.instance, data=serializer.validated_data
            )
        except (ValidationError, PermissionDenied) as error:
            raise as_api_error(error) from error
