"""Writes on the projet de santé. Assumes the connection is set to the CPTS's schema.

A version moves draft → submitted → validated. Only a draft's structure (text, axes, actions
added or removed) can change; follow-up fields of actions (status, dates, owner, group, budget)
stay editable on every version, since actions are carried out after validation.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.members.models import Role
from apps.members.permissions import require_role
from apps.members.selectors import is_community_account
from apps.missions import SOCLE_MISSIONS, MissionKind

from .models import Action, Axis, ProjectVersion

ACTION_TRACKING_FIELDS = ("status", "start_date", "end_date", "owner", "working_group", "budget")
ACTION_TEXT_FIELDS = ("title", "description", "position")


def _require_draft(version: ProjectVersion) -> None:
    if not version.is_editable:
        raise ValidationError(
            _("La version %(number)d n'est plus un brouillon : créez une nouvelle version pour la modifier.")
            % {"number": version.number}
        )


def create_version(*, actor, title: str, based_on: ProjectVersion | None = None) -> ProjectVersion:
    """A new draft, numbered after the last one. Copies the axes and actions of ``based_on``; with
    nothing to copy, starts with one axis per socle mission."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        # Serialise numbering (even before the first version exists): a transaction-scoped
        # advisory lock keyed by this CPTS's schema.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}:hp-version"]
            )
        number = (ProjectVersion.objects.aggregate(last=Max("number"))["last"] or 0) + 1
        version = ProjectVersion.objects.create(
            number=number,
            title=title,
            summary=based_on.summary if based_on else "",
            diagnosis=based_on.diagnosis if based_on else "",
            based_on=based_on,
            created_by=actor,
        )
        if based_on is not None:
            for axis in based_on.axes.prefetch_related("actions"):
                actions = list(axis.actions.all())
                axis.pk, axis.version = None, version
                axis.save()
                for action in actions:
                    action.pk, action.axis = None, axis
                    action.save()
        else:
            for position, mission in enumerate(SOCLE_MISSIONS):
                Axis.objects.create(
                    version=version, mission=mission, title=MissionKind(mission).label, position=position
                )
    return version


def update_version(
    *, actor, version: ProjectVersion, title: str, summary: str, diagnosis: str
) -> ProjectVersion:
    require_role(actor, Role.TEAM)
    _require_draft(version)
    version.title, version.summary, version.diagnosis = title, summary, diagnosis
    version.save(update_fields=["title", "summary", "diagnosis"])
    return version


def submit_version(*, actor, version: ProjectVersion) -> ProjectVersion:
    """Draft → submitted (to the ARS and CPAM). Every socle mission must have an axis."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        locked = ProjectVersion.objects.select_for_update().get(pk=version.pk)
        _require_draft(locked)
        present = set(locked.axes.values_list("mission", flat=True))
        missing = [str(MissionKind(m).label) for m in SOCLE_MISSIONS if m not in present]
        if missing:
            raise ValidationError(
                _("Il manque un axe pour les missions socles : %(missions)s.")
                % {"missions": ", ".join(missing)}
            )
        locked.status = ProjectVersion.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at"])
    return locked


def validate_version(
    *, actor, version: ProjectVersion, validated_on: date, validating_bodies: str
) -> ProjectVersion:
    """Submitted → validated, with the date and the bodies that validated it."""
    require_role(actor, Role.TEAM)
    if not validating_bodies.strip():
        raise ValidationError({"validating_bodies": _("Indiquez les instances qui ont validé le projet.")})
    if validated_on > timezone.localdate():
        raise ValidationError({"validated_on": _("La date de validation ne peut pas être dans le futur.")})
    with transaction.atomic():
        locked = ProjectVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != ProjectVersion.Status.SUBMITTED:
            raise ValidationError(_("Seule une version soumise peut être validée."))
        locked.status = ProjectVersion.Status.VALIDATED
        locked.validated_on = validated_on
        locked.validating_bodies = validating_bodies.strip()
        locked.save(update_fields=["status", "validated_on", "validating_bodies"])
    return locked


def add_axis(*, actor, version: ProjectVersion, mission: str, title: str, description: str = "") -> Axis:
    require_role(actor, Role.TEAM)
    _require_draft(version)
    position = (version.axes.aggregate(last=Max("position"))["last"] or 0) + 1
    return Axis.objects.create(
        version=version, mission=mission, title=title, description=description, position=position
    )


def delete_axis(*, actor, axis: Axis) -> None:
    require_role(actor, Role.TEAM)
    _require_draft(axis.version)
    axis.delete()


def add_action(*, actor, axis: Axis, data: dict) -> Action:
    require_role(actor, Role.TEAM)
    _require_draft(axis.version)
    position = (axis.actions.aggregate(last=Max("position"))["last"] or 0) + 1
    fields = {k: v for k, v in data.items() if k in ACTION_TRACKING_FIELDS + ACTION_TEXT_FIELDS}
    fields.setdefault("position", position)
    _check_action_dates(fields)
    _check_action_owner(fields)
    return Action.objects.create(axis=axis, **fields)


def update_action(*, actor, action: Action, data: dict) -> Action:
    """Follow-up fields are always editable; title/description only on a draft."""
    require_role(actor, Role.TEAM)
    text_changes = {k for k in ACTION_TEXT_FIELDS if k in data and data[k] != getattr(action, k)}
    if text_changes:
        _require_draft(action.axis.version)
    merged = {f: getattr(action, f) for f in ("start_date", "end_date")} | data
    _check_action_dates(merged)
    _check_action_owner(data)
    for field, value in data.items():
        if field in ACTION_TRACKING_FIELDS + ACTION_TEXT_FIELDS:
            setattr(action, field, value)
    action.save()
    return action


def _check_action_owner(fields: dict) -> None:
    owner = fields.get("owner")
    if owner is not None and not is_community_account(owner):
        raise ValidationError({"owner": _("Le pilote doit être une personne de cette CPTS.")})


def _check_action_dates(fields: dict) -> None:
    start, end = fields.get("start_date"), fields.get("end_date")
    if start and end and end < start:
        raise ValidationError({"end_date": _("L'échéance doit suivre la date de début.")})
