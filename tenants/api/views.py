from django.core.exceptions import ValidationError
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from tenants.access import OPERATOR
from tenants.models import Community
from tenants.provisioning import CommunityRequest, provision_community


class IsOperator(BasePermission):
    message = "Réservé aux opérateurs de la plateforme."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_operator)


class CommunitySerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="schema_name")
    url = serializers.CharField(source="primary_url", read_only=True)
    admin_email = serializers.EmailField(write_only=True)

    class Meta:
        model = Community
        fields = [
            "slug",
            "name",
            "territory_summary",
            "status",
            "aci_size",
            "url",
            "created_at",
            "admin_email",
        ]
        read_only_fields = ["status", "aci_size", "url", "created_at"]
        # Uniqueness and format are the provisioning service's job (one place, French messages).
        extra_kwargs = {"slug": {"validators": []}}

    def get_fields(self):
        fields = super().get_fields()
        fields["slug"].validators = []
        return fields


class CommunityViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Operator API: list CPTS and open a new one. Token or session of an operator account."""

    serializer_class = CommunitySerializer
    access = OPERATOR
    permission_classes = [IsOperator]
    lookup_field = "schema_name"

    def get_queryset(self):
        return (
            Community.objects.exclude(schema_name="public").prefetch_related("domains").order_by("created_at")
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            community = provision_community(
                actor=request.user,
                request=CommunityRequest(
                    slug=data["schema_name"],
                    name=data["name"],
                    admin_email=data["admin_email"],
                    territory_summary=data.get("territory_summary", ""),
                ),
            )
        except ValidationError as error:
            return Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(community).data, status=status.HTTP_201_CREATED)
