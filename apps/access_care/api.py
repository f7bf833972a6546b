"""The desk's REST API for the team: ``/api/v1/access-care/requests/``.

- ``GET requests/`` the triage queue (filters ``statut``, ``commune``, ``prioritaires=1``,
  ``doublons=1``; 50 a page), the columns the queue shows; one access-log row per request listed;
- ``GET requests/<id>/`` the whole case, opened through ``selectors.open_request`` (access-log
  row and audit line ``desk.accessed``);
- ``POST requests/<id>/status/`` ``{"status", "close_reason"}`` (``services.change_status``);
- ``GET requests/<id>/proposals/`` the proposals sent and the GPs ranked for the request (logged);
  ``POST`` ``{"gp": <account id>}`` sends one (``services.propose``).

Doors, in order: the team role declared on the base viewset (other CPTS 404, members 403, the walk
test asks it), then the desk's own, as on the pages: module on, « accès aux soins », a passed
second factor (a token alone never passes it) — each a 403 with its French reason. Bad input is a
400 naming the field, in French, before anything is read or written.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.status import HTTP_201_CREATED

from apps.members.api_views import CommunityGenericViewSet
from apps.members.models import Role
from apps.members.selectors import community_accounts
from tenants.access import Access
from tenants.client_ip import client_ip

from . import selectors, services
from .models import PatientRequest


def as_api_error(error: ValidationError | PermissionDenied) -> exceptions.APIException:
    """A service's refusal as the API's 4xx, its French reason kept (per field when it has them)."""
    if isinstance(error, PermissionDenied):
        return exceptions.PermissionDenied(str(error))
    return exceptions.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class QueueRowSerializer(serializers.Serializer):
    """A queue row: what the team's queue page shows, no contact details."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    priority = serializers.IntegerField()
    last_name = serializers.CharField()
    first_name = serializers.CharField()
    age = serializers.SerializerMethodField()
    groups = serializers.SerializerMethodField()
    commune = serializers.CharField()
    waited_days = serializers.SerializerMethodField()
    possible_duplicate_of = serializers.IntegerField(source="possible_duplicate_of_id", allow_null=True)
    created_at = serializers.DateTimeField()

    def get_age(self, request: PatientRequest) -> int | None:
        return request.age_on(self.context["today"])

    def get_groups(self, request: PatientRequest) -> list[str]:
        return request.groups(self.context["today"])

    def get_waited_days(self, request: PatientRequest) -> int:
        return (self.context["today"] - timezone.localtime(request.created_at).date()).days


class RequestDetailSerializer(QueueRowSerializer):
    """The whole case: identity, contact, situation, notes, history and proposals."""

    birth_date = serializers.CharField(source="birth_date_text")
    phone = serializers.CharField()
    email = serializers.CharField()
    address = serializers.CharField()
    helper = serializers.CharField()
    criteria = serializers.ListField(child=serializers.CharField())
    preferred_communes = serializers.ListField(child=serializers.CharField())
    contact_by = serializers.CharField()
    channel = serializers.CharField()
    notes = serializers.CharField()
    close_reason = serializers.CharField()
    found_gp = serializers.IntegerField(source="found_gp_id", allow_null=True)
    anonymised_at = serializers.DateTimeField()
    history = serializers.SerializerMethodField()

    def get_history(self, request: PatientRequest) -> list[dict]:
        return [
            {"from": c.from_status, "to": c.to_status, "at": c.at.isoformat(), "by": c.by_id}
            for c in request.changes.all()
        ]


class ProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    gp = serializers.IntegerField(source="gp_id")
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=PatientRequest.Status.choices,
        error_messages={"invalid_choice": gettext_lazy("Statut inconnu : « {input} ».")},
    )
    close_reason = serializers.ChoiceField(
        choices=PatientRequest.CloseReason.choices,
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid_choice": gettext_lazy("Motif de clôture inconnu : « {input} ».")},
    )


class ProposalInput(serializers.Serializer):
    gp = serializers.IntegerField(
        error_messages={"invalid": gettext_lazy("Identifiant de médecin attendu (nombre entier).")}
    )

    def validate_gp(self, value: int):
        gp = community_accounts().filter(pk=value).first()
        if gp is None:
            raise serializers.ValidationError(_("Aucun médecin de cette CPTS ne porte cet identifiant."))
        return gp


def _queue_filters(params) -> selectors.QueueFilters:
    """The queue's filters from the query string; raises a 400 naming the wrong one."""
    status_value = params.get("statut", "")
    if status_value and status_value not in PatientRequest.Status.values:
        raise exceptions.ValidationError(
            {"statut": [_("Statut inconnu : « %(value)s ».") % {"value": status_value}]}
        )
    commune = params.get("commune", "")
    if commune and not (len(commune) == 5 and commune.isalnum()):
        raise exceptions.ValidationError({"commune": [_("Code INSEE de commune attendu (5 caractères).")]})
    flags = {}
    for name in ("prioritaires", "doublons"):
        value = params.get(name, "")
        if value not in ("", "0", "1"):
            raise exceptions.ValidationError({name: [_("Valeur attendue : 0 ou 1.")]})
        flags[name] = value == "1"
    return selectors.QueueFilters(
        status=status_value,
        commune=commune,
        priority_only=flags["prioritaires"],
        duplicates_only=flags["doublons"],
    )


class PatientRequestViewSet(CommunityGenericViewSet):
    """Patient requests of this CPTS, for team members the admin opened the desk to."""

    access = Access.role(Role.TEAM)
    serializer_class = QueueRowSerializer

    def initial(self, request, *args, **kwargs):
        # The base's check (the declared team role) runs first: other CPTS' accounts get their
        # 404 before anything of the desk is asked.
        super().initial(request, *args, **kwargs)
        if not services.is_enabled():
            raise exceptions.PermissionDenied(
                _("Le module d'accès aux soins n'est pas activé pour cette CPTS.")
            )
        if not services.has_permission(request.user):
            raise exceptions.PermissionDenied(
                _("L'accès aux soins ne vous a pas été ouvert par un administrateur de la CPTS.")
            )
        is_verified = getattr(request.user, "is_verified", None)
        if not (callable(is_verified) and is_verified()):
            raise exceptions.PermissionDenied(
                _(
                    "Les demandes de l'accès aux soins demandent une session qui a passé la double "
                    "authentification."
                )
            )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def safely_get_queryset(self):
        return selectors.list_queue(_queue_filters(self.request.query_params))

    def _open(self, pk: str, action_name: str) -> PatientRequest:
        if not str(pk).isdigit():
            raise exceptions.NotFound()
        found = selectors.open_request(
            self.request.user, int(pk), action=action_name, ip=client_ip(self.request)
        )
        if found is None:
            raise exceptions.NotFound()
        return found

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        services.log_reads(
            actor=request.user, action="list", request_ids=[r.pk for r in page], ip=client_ip(request)
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        patient = self._open(pk, "view")
        return Response(RequestDetailSerializer(patient, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"], serializer_class=StatusInput)
    def status(self, request, pk=None):
        """Move the request to another status (the transitions of the desk; French refusals)."""
        data = StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = self._get_for_write(pk)
        try:
            patient = services.change_status(
                actor=request.user,
                request=patient,
                to_status=data.validated_data["status"],
                close_reason=data.validated_data["close_reason"],
                ip=client_ip(request),
            )
        except (ValidationError, PermissionDenied) as error:
            raise as_api_error(error) from error
        return Response(
            {"id": patient.pk, "status": patient.status, "status_label": patient.get_status_display()}
        )

    @action(detail=True, methods=["get", "post"], serializer_class=ProposalInput)
    def proposals(self, request, pk=None):
        """GET: the proposals sent and the GPs ranked for this request; POST ``{"gp"}``: send one."""
        if request.method == "POST":
            data = ProposalInput(data=request.data)
            data.is_valid(raise_exception=True)
            patient = self._get_for_write(pk)
            try:
                proposal = services.propose(
                    actor=request.user, request=patient, gp=data.validated_data["gp"], ip=client_ip(request)
                )
            except (ValidationError, PermissionDenied) as error:
                raise as_api_error(error) from error
            return Response(ProposalSerializer(proposal).data, status=HTTP_201_CREATED)
        patient = self._open(pk, "proposals")
        candidates = []
        if patient.is_open:
            candidates = selectors.rank_gps_for([patient], limit=8)[patient.pk]
        return Response(
            {
                "proposals": ProposalSerializer(patient.proposals.all(), many=True).data,
                "candidates": [
                    {
                        "gp": c.capacity.gp_id,
                        "name": c.gp.get_full_name() or c.gp.email,
                        "practice_commune": c.capacity.practice_commune,
                        "distance_km": c.distance_km,
                        "fit": c.fit,
                        "reasons": c.reasons,
                        "places_left": c.capacity.left,
                    }
                    for c in candidates
                ],
            }
        )

    def _get_for_write(self, pk: str) -> PatientRequest:
        # Writes log their own access-log row (services); the case is not opened to be read here.
        found = selectors.get_request(int(pk)) if str(pk).isdigit() else None
        if found is None:
            raise exceptions.NotFound()
        return found
