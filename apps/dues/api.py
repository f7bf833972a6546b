"""API of members and dues: ``/api/v1/members/me`` (any member) and ``/api/v1/members/`` (team)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings

from apps.members.api_fields import CommunitySerializer
from apps.members.api_views import CommunityAPIView, CommunityViewSet
from apps.members.models import Role
from apps.professionals.models import ProfessionalProfile
from apps.professionals.selectors import get_profile
from tenants.access import Access

from . import selectors
from .calendar import paris_today
from .models import Dues


class ProfileSerializer(CommunitySerializer):
    class Meta:
        model = ProfessionalProfile
        fields = ["profession", "identifier_type", "identifier", "practice_mode", "practice_place", "commune",
                  "postcode", "phone"]  # fmt: skip


class DuesSerializer(CommunitySerializer):
    tier = serializers.CharField(source="tier.name")

    class Meta:
        model = Dues
        fields = ["year", "tier", "amount", "status", "activated_at"]


class MemberMeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    role = serializers.CharField()
    eligibility_category = serializers.CharField()
    auto_renew = serializers.BooleanField()
    profile = ProfileSerializer(allow_null=True)
    dues = DuesSerializer(many=True)


class MemberMeView(CommunityAPIView):
    """The calling member in this CPTS: profile and yearly dues (404 for non-members)."""

    access = Access.role(Role.MEMBER, candidates=True)  # a candidate reads its own dues (to pay them)
    serializer_class = MemberMeSerializer

    def get(self, request):
        membership, user = request.membership, request.user
        data = {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": membership.role,
            "eligibility_category": membership.eligibility_category,
            "auto_renew": membership.auto_renew,
            "profile": get_profile(user),
            "dues": list(selectors.list_dues_of(membership)),
        }
        return Response(MemberMeSerializer(data).data)


class TeamMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    role = serializers.CharField()
    profession = serializers.CharField(source="profile.profession", default="")
    commune = serializers.CharField(source="profile.commune", default="")
    dues = DuesSerializer(source="current_dues", allow_null=True)


@extend_schema(
    parameters=[
        OpenApiParameter("year", int, description="Année des cotisations (par défaut : l'année en cours)"),
        OpenApiParameter("status", str, description="pending, active, expired, refunded, cancelled ou none"),
        OpenApiParameter("tier", int, description="Identifiant de la formule"),
        OpenApiParameter("profession", str, description="Code de profession"),
        OpenApiParameter("q", str, description="Recherche sur le nom et l'e-mail"),
    ]
)
class TeamMemberViewSet(CommunityViewSet):
    """Members of this CPTS with their dues of a year (team only; 404 outsiders, 403 members)."""

    access = Access.role(Role.TEAM)
    serializer_class = TeamMemberSerializer

    def list(self, request):
        params = request.query_params
        try:
            year = int(params.get("year") or paris_today().year)
        except ValueError:
            return Response({"detail": "Le paramètre « year » doit être une année."}, status=400)
        status = params.get("status", "")
        if status and status not in {*Dues.Status.values, "none"}:
            return Response({"detail": "Statut de cotisation inconnu."}, status=400)
        tier = params.get("tier", "")
        if tier and not tier.isdigit():
            return Response({"detail": "Le paramètre « tier » doit être un identifiant."}, status=400)
        members = selectors.list_members(
            year=year,
            q=params.get("q", ""),
            status=status,
            tier=tier,
            profession=params.get("profession", ""),
        )
        paginator = self.paginator
        page = paginator.paginate_queryset(members, request, view=self)
        rows = selectors.attach_profiles(page)
        return paginator.get_paginated_response(TeamMemberSerializer(rows, many=True).data)

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            self._paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        return self._paginator
