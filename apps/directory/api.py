"""GET /api/v1/directory/: the directory, read-only, public. Members of this CPTS (session or
token) also get members-only entries and fields (``members_note``, places' ``email``)."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from apps.members.api_fields import CommunitySerializer
from apps.members.api_views import CommunityReadOnlyModelViewSet
from apps.members.permissions import api_refusal
from apps.members.selectors import get_membership
from tenants.access import PUBLIC

from . import selectors
from .models import Entry, Family, Place
from .search import search_entries

MEMBERS_ONLY_ENTRY_FIELDS = ("members_note",)
MEMBERS_ONLY_PLACE_FIELDS = ("email",)


class PlaceSerializer(CommunitySerializer):
    commune_code = serializers.CharField(source="commune_id", allow_null=True)

    class Meta:
        model = Place
        fields = [
            "name",
            "address",
            "postcode",
            "commune_code",
            "city",
            "phone",
            "email",
            "latitude",
            "longitude",
        ]
        extra_kwargs = {"email": {"help_text": "Membres de la CPTS uniquement (absent pour le public)."}}


class EntrySerializer(CommunitySerializer):
    places = PlaceSerializer(many=True)
    national_id = serializers.CharField(read_only=True)

    class Meta:
        model = Entry
        fields = [
            "id", "kind", "family", "name", "civility", "last_name", "first_name", "identifier_type", "identifier",
            "national_id", "profession_code", "profession", "specialty_code", "specialty", "practice_mode",
            "finess_category_code", "finess_category", "siret", "website", "accepts_new_patients", "languages",
            "description", "is_member", "members_note", "places", "updated_at",
        ]  # fmt: skip
        extra_kwargs = {
            "members_note": {"help_text": "Membres de la CPTS uniquement (absent pour le public)."}
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("members_fields"):
            for name in MEMBERS_ONLY_ENTRY_FIELDS:
                data.pop(name, None)
            for place in data["places"]:
                for name in MEMBERS_ONLY_PLACE_FIELDS:
                    place.pop(name, None)
        return data


@extend_schema_view(
    list=extend_schema(
        summary="Rechercher dans l'annuaire",
        parameters=[
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="Texte libre (accents, majuscules et fautes tolérés)"
            ),
            OpenApiParameter("family", OpenApiTypes.STR, enum=[c for c, _ in Family.choices]),
            OpenApiParameter("profession", OpenApiTypes.STR, description="Code profession (ex. 70)"),
            OpenApiParameter("commune", OpenApiTypes.STR, description="Code INSEE"),
            OpenApiParameter("accepts_new_patients", OpenApiTypes.BOOL),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
    ),
    retrieve=extend_schema(summary="Une fiche de l'annuaire"),
)
class DirectoryViewSet(CommunityReadOnlyModelViewSet):
    serializer_class = EntrySerializer
    access = PUBLIC
    filter_backends: list = []
    queryset = Entry.objects.none()  # the real one comes from the search service

    def _audience(self) -> str:
        audience = selectors.audience_of(get_membership(self.request.user))
        return selectors.MEMBERS if audience == selectors.TEAM else audience

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        context["members_fields"] = selectors.sees_members_fields(self._audience())
        return context

    def safely_get_queryset(self):
        params = self.request.query_params
        flag = params.get("accepts_new_patients")
        return search_entries(
            params.get("q", ""),
            audience=self._audience(),
            family=params.get("family", ""),
            profession=params.get("profession", ""),
            commune=params.get("commune", ""),
            accepts_new_patients={"true": True, "false": False}.get((flag or "").lower()),
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            prefetch_related_objects(page, "places")
        return page

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except ValueError:
            raise Http404 from None
        refusal = selectors.members_only_refusal(get_membership(self.request.user), pk)
        if refusal is not None:
            raise api_refusal(refusal)
        return selectors.get_visible_entry(pk, self._audience())
