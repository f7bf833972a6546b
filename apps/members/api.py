from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .permissions import HasCommunityRole


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    role = serializers.CharField()


class MeView(APIView):
    """The calling account and its role in this CPTS (404 for accounts without a role here)."""

    permission_classes = [HasCommunityRole]
    serializer_class = MeSerializer

    def get(self, request):
        user, membership = request.user, request.membership
        data = {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": membership.role,
        }
        return Response(MeSerializer(data).data)
