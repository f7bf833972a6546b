"""Reads on the platform's own tables (public schema)."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name

from .models import Community


def schemas_with_status(*statuses: str) -> list[str]:
    """Schema names of the CPTS in one of ``statuses``, in creation order."""
    connection.set_schema_to_public()
    return list(
        Community.objects.filter(status__in=statuses)
        .exclude(schema_name=get_public_schema_name())
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )


def active_schemas() -> list[str]:
    """Schema names of the open CPTS: the targets of member-facing work (reminders, renewals,
    campaigns) and of a national refresh."""
    return schemas_with_status(Community.Status.ACTIVE)


def schemas_holding_data() -> list[str]:
    """Schema names of every CPTS whose data still exists — open, suspended or closed: the targets
    of the safety nets (retention of personal and health data, payment reconciliation), which must
    keep running while a CPTS is suspended or after it closed."""
    return schemas_with_status(Community.Status.ACTIVE, Community.Status.SUSPENDED, Community.Status.CLOSED)


def current_community() -> Community:
    """The CPTS whose schema the connection is on: ``connection.tenant`` (set by the tenant
    middleware and by the workers' tenant context), or its row read again when the connection was
    switched by schema name only (``schema_context`` leaves a FakeTenant)."""
    tenant = connection.tenant
    if isinstance(tenant, Community):
        return tenant
    return Community.objects.get(schema_name=connection.schema_name)
