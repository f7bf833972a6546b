"""API of events: ``/api/v1/events/`` (members read, team writes; register/cancel for oneself)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.members.api_fields import CommunitySerializer
from apps.members.api_views import CommunityModelViewSet
from apps.members.models import Role
from apps.members.permissions import api_refusal
from tenants.access import Access

from . import selectors, services
from .models import Event, Registration


def as_api_error(error: ValidationError | PermissionDenied) -> exceptions.APIException:
    if isinstance(error, PermissionDenied):
        return exceptions.PermissionDenied(str(error))
    return exceptions.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class EventSerializer(CommunitySerializer):
    confirmed_count = serializers.IntegerField(
        read_only=True, help_text="Places prises : confirmées, et réservées en attente de paiement."
    )
    price = serializers.DecimalField(
        max_digits=8, decimal_places=2, read_only=True, help_text="Tarif TTC en euros (0 : gratuit)."
    )
    waitlist_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Event
        fields = [
            "id", "title", "kind", "description", "location", "starts_at", "ends_at", "visibility", "status",
            "capacity", "price", "registration_open", "reminder_hours_before", "confirmed_count",
            "waitlist_count",
        ]  # fmt: skip
        # The price is set on the team's event form (a paid event needs the CPTS's Stripe account).
        read_only_fields = ["id", "price", "confirmed_count", "waitlist_count"]

    def validate(self, attrs):
        starts_at = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends_at = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts_at and ends_at and ends_at < starts_at:
            raise serializers.ValidationError({"ends_at": "La fin doit être postérieure au début."})
        return attrs


class RegistrationSerializer(CommunitySerializer):
    class Meta:
        model = Registration
        fields = [
            "id",
            "event",
            "status",
            "created_at",
            "queued_at",
            "promoted_at",
            "hold_expires_at",
            "attended",
        ]
        read_only_fields = fields


class EventViewSet(CommunityModelViewSet):
    """Events of this CPTS. Members see public and members-only events; the team also sees drafts
    and creates or changes events. ``register`` / ``cancel`` act for the calling account."""

    serializer_class = EventSerializer
    # Members read, the team writes; members register and cancel for themselves. Candidates and
    # lapsed members list public events only; a members-only one answers 403.
    access = Access.role(
        Role.MEMBER,
        write=Role.TEAM,
        candidates=True,
        actions={"register": Role.MEMBER, "cancel": Role.MEMBER},
    )
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["kind", "visibility", "status"]

    def safely_get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI schema generation: no request context
            return Event.objects.none()
        return selectors.with_counts(selectors.visible_events(self.request.membership)).order_by(
            "starts_at", "pk"
        )

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            pk = self.kwargs.get(self.lookup_field)
            refusal = (
                selectors.members_only_refusal(self.request.membership, pk) if str(pk).isdigit() else None
            )
            if refusal is not None:
                raise api_refusal(refusal) from None
            raise

    def perform_create(self, serializer):
        try:
            serializer.instance = services.create_event(
                actor=self.request.user, data=serializer.validated_data
            )
        except (ValidationError, PermissionDenied) as error:
            raise as_api_error(error) from error

    def perform_update(self, serializer):
        try:
            serializer.instance = services.update_event(
                actor=self.request.user, event=serializer.instance, data=serializer.validated_data
            )
        except (ValidationError, PermissionDenied) as error:
            raise as_api_error(error) from error

    @action(detail=True, methods=["post"], serializer_class=RegistrationSerializer)
    def register(self, request, pk=None):
        """Register the calling member (confirmed, or on the waiting list when full). On a paid event
        the seat is held (``pending`` until ``hold_expires_at``) and paid on the event's web page."""
        try:
            registration = services.register(actor=request.user, event=self.get_object())
        except (ValidationError, PermissionDenied) as error:
            raise as_api_error(error) from error
        return Response(RegistrationSerializer(registration).data, status=201)

    @action(detail=True, methods=["post"], serializer_class=RegistrationSerializer)
    def cancel(self, request, pk=None):
        """Cancel the calling member's registration (a paid one is refunded); the first person
        waiting gets the place."""
        registration = selectors.get_registration(self.get_object(), request.user)
        if registration is None:
            raise exceptions.NotFound("Aucune inscription à annuler.")
        try:
            services.cancel_registration(actor=request.user, registration=registration)
        except (ValidationError, PermissionDenied) as error:  # e.g. the refund could not be made
            raise as_api_error(error) from error
        return Response(RegistrationSerializer(registration).data)
