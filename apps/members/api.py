from rest_framework import serializers
from rest_framework.response import Response

from tenants.access import Access

from .api_views import CommunityAPIView
from .models import Role
from .standing import Standing, standing_of


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    role = serializers.CharField()
    standing = serializers.ChoiceField(
        choices=Standing.choices,
        help_text="good : membre à jour ; candidate ; lapsed (apps.members.standing).",
    )


class MeView(CommunityAPIView):
    """The calling account, its role and standing in this CPTS (404 for accounts without a role
    here; candidates included)."""

    access = Access.role(Role.MEMBER, candidates=True)
    serializer_class = MeSerializer

    def get(self, request):
        user, membership = request.user, request.membership
        data = {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": membership.role,
            "standing": standing_of(membership),
        }
        return Response(MeSerializer(data).data)
