"""API of ACI indicators: ``/api/v1/indicators/`` (members read, team writes) with targets,
values and progress for a year (``?year=``); ``POST …/values`` records a value (team)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.events.api import as_api_error
from apps.members.api_fields import CommunitySerializer
from apps.members.api_views import CommunityModelViewSet
from apps.members.models import Role
from tenants.access import Access

from . import selectors, services
from .models import Indicator, IndicatorTarget, IndicatorValue


class TargetSerializer(CommunitySerializer):
    class Meta:
        model = IndicatorTarget
        fields = ["year", "target"]


class ValueSerializer(CommunitySerializer):
    class Meta:
        model = IndicatorValue
        fields = ["id", "period_start", "period_end", "value", "computed", "note"]
        read_only_fields = ["id", "computed"]

    def validate(self, attrs):
        if attrs["period_end"] < attrs["period_start"]:
            raise serializers.ValidationError({"period_end": "La fin de période doit suivre son début."})
        return attrs


class IndicatorSerializer(CommunitySerializer):
    targets = TargetSerializer(many=True, read_only=True)
    year = serializers.SerializerMethodField()
    year_value = serializers.SerializerMethodField()
    year_target = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(
        help_text="Part du chemin parcouru entre la valeur de départ et la cible."
    )

    class Meta:
        model = Indicator
        fields = [
            "id", "label", "mission", "nature", "unit", "baseline", "source", "aggregation", "description", "targets",
            "year", "year_value", "year_target", "progress",
        ]  # fmt: skip
        read_only_fields = ["id", "targets", "year", "year_value", "year_target", "progress"]

    def _progress(self, indicator: Indicator):
        return self.context.get("progress", {}).get(indicator.pk)

    def get_year(self, indicator: Indicator) -> int:
        return self.context.get("year")

    def get_year_value(self, indicator: Indicator) -> str | None:
        item = self._progress(indicator)
        return None if item is None or item.value is None else f"{item.value:.2f}"

    def get_year_target(self, indicator: Indicator) -> str | None:
        item = self._progress(indicator)
        return None if item is None or item.target is None else f"{item.target:.2f}"

    def get_progress(self, indicator: Indicator) -> float | None:
        item = self._progress(indicator)
        return None if item is None or item.ratio is None else round(item.ratio, 4)


YEAR_PARAMETER = OpenApiParameter(
    "year", int, description="Année des valeurs et cibles (par défaut : l'année en cours)."
)


@extend_schema(parameters=[YEAR_PARAMETER])
class IndicatorViewSet(CommunityModelViewSet):
    """Indicators of this CPTS's ACI contract."""

    serializer_class = IndicatorSerializer
    access = Access.role(Role.MEMBER, write=Role.TEAM)
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["mission", "nature", "source"]

    def safely_get_queryset(self):
        return Indicator.objects.prefetch_related("targets").order_by("position", "pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        raw = self.request.query_params.get("year", "") if self.request else ""
        year = int(raw) if raw.isdigit() else timezone.localdate().year
        context["year"] = year
        if self.request and self.request.method == "GET":
            context["progress"] = {p.indicator.pk: p for p in selectors.list_indicator_progress(year)}
        return context

    def perform_create(self, serializer):
        try:
            serializer.instance = services.create_indicator(
                actor=self.request.user, data=serializer.validated_data
            )
        except (ValidationError, PermissionDenied) as error:
            raise as_api_error(error) from error

    def perform_update(self, serializer):
        try:
            serializer.instance = services.update_indicator(
                actor=self.request.user, indicator=serializer.instance, data=serializer.validated_data
            )
        except (ValidationError, PermissionDenied) as error:
            raise as_api_error(error) from error

    @extend_schema(request=ValueSerializer, responses=ValueSerializer(many=True))
    @action(detail=True, methods=["get", "post"], serializer_class=ValueSerializer)
    def values(self, request, pk=None):
        """Values of the indicator (GET, members) or record one for a period (POST, team)."""
        indicator = self.get_object()
        if request.method == "GET":
            return Response(ValueSerializer(selectors.list_values(indicator), many=True).data)
        serializer = ValueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            value = services.record_value(
                actor=request.user, indicator=indicator, **serializer.validated_data
            )
        except (ValidationError, PermissionDenied) as error:
            raise as_api_error(error) from error
        return Response(ValueSerializer(value).data, status=201)
