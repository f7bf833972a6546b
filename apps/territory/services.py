"""Writes on the current CPTS's territory. Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, get_tenant_model

from apps.audit.log import record
from apps.geo.models import Canton, Commune
from apps.geo.selectors import find_canton
from apps.members.models import Role
from apps.members.permissions import require_role
from tenants.actors import person

from .models import TerritoryCommune, TerritorySettings
from .selectors import get_home_counters


def add_communes(*, actor, codes: list[str]) -> list[TerritoryCommune]:
    """Add communes by INSEE code (already present ones are left alone). Raises ValidationError
    naming unknown codes; adds nothing in that case. Team only (PermissionDenied)."""
    require_role(actor, Role.TEAM)
    codes = [code.strip().upper() for code in codes if code.strip()]
    known = set(Commune.objects.filter(code__in=codes, is_current=True).values_list("code", flat=True))
    unknown = [code for code in codes if code not in known]
    if unknown:
        text = (
            _("Code INSEE inconnu : %(codes)s.")
            if len(unknown) == 1
            else _("Codes INSEE inconnus : %(codes)s.")
        )
        raise ValidationError(text % {"codes": ", ".join(unknown)})
    added = []
    with transaction.atomic():
        for code in dict.fromkeys(codes):
            row, created = TerritoryCommune.objects.get_or_create(
                commune_id=code, defaults={"added_by": person(actor)}
            )
            if created:
                added.append(row)
        if added:
            record(actor, "territory.communes_added", None, codes=[row.commune_id for row in added])
        _sync_community_summary()
    return added


def add_canton(*, actor, value: str) -> tuple[Canton, list[TerritoryCommune]]:
    """Add the communes of a canton (by code, or by name when only one canton bears it): those of
    its communes in the current reference, already present ones left alone. Raises ValidationError
    (French, for the field) for an unknown or ambiguous canton. Team only (PermissionDenied)."""
    require_role(actor, Role.TEAM)
    cantons = find_canton(value)
    if not cantons:
        raise ValidationError(_("Canton inconnu : saisissez son code (ex. 4521) ou son nom exact."))
    if len(cantons) > 1:
        raise ValidationError(
            _("Plusieurs cantons portent ce nom : précisez le code (%(codes)s).")
            % {"codes": ", ".join(f"{c.code} ({c.department})" for c in cantons)}
        )
    canton = cantons[0]
    current = Commune.objects.filter(code__in=canton.members, is_current=True).values_list("code", flat=True)
    return canton, add_communes(actor=actor, codes=sorted(current))


def remove_commune(*, actor, code: str) -> bool:
    """Take a commune out of the territory; whether it was in it. Team only (PermissionDenied)."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        deleted, _rows = TerritoryCommune.objects.filter(commune_id=code).delete()
        if deleted:
            record(actor, "territory.commune_removed", None, code=code)
        _sync_community_summary()
    return bool(deleted)


def set_aci_size(*, actor, size: int | None) -> TerritorySettings:
    """Override the computed ACI size (1–4), or go back to the computed one with ``None``. Team
    only (PermissionDenied)."""
    require_role(actor, Role.TEAM)
    if size is not None and size not in (1, 2, 3, 4):
        raise ValidationError(_("La taille ACI doit être comprise entre 1 et 4."))
    with transaction.atomic():
        settings_row, _created = TerritorySettings.objects.get_or_create(pk=1)
        settings_row.aci_size_override = size
        settings_row.save(update_fields=["aci_size_override", "updated_at"])
        record(actor, "territory.aci_size_set", None, size=size)
        _sync_community_summary()
    return settings_row


def _sync_community_summary() -> None:
    """Keep the platform's view of this CPTS (operator console) in step: its ACI size."""
    schema = connection.schema_name
    if schema == get_public_schema_name():
        return
    size = get_home_counters().aci_size
    get_tenant_model().objects.filter(schema_name=schema).update(aci_size=size)
    tenant = getattr(connection, "tenant", None)
    if hasattr(tenant, "aci_size"):
        tenant.aci_size = size
