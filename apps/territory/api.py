"""GET /api/v1/territory/: the territory's communes and counters (public)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.members.api_views import CommunityAPIView
from tenants.access import PUBLIC

from . import selectors


class CommuneSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    population = serializers.IntegerField()
    postcodes = serializers.ListField(child=serializers.CharField())


class TerritorySerializer(serializers.Serializer):
    communes = serializers.IntegerField()
    inhabitants = serializers.IntegerField()
    professionals = serializers.IntegerField()
    aci_size = serializers.IntegerField(allow_null=True)
    commune_list = CommuneSerializer(many=True)


class TerritoryView(CommunityAPIView):
    access = PUBLIC
    serializer_class = TerritorySerializer

    @extend_schema(summary="Communes et chiffres du territoire")
    def get(self, request):
        counters = selectors.get_home_counters()
        data = {
            "communes": counters.communes,
            "inhabitants": counters.inhabitants,
            "professionals": counters.professionals,
            "aci_size": counters.aci_size,
            "commune_list": selectors.list_territory_communes(),
        }
        return Response(TerritorySerializer(data).data)
