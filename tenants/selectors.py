"""Reads on the platform's own tables (public schema)."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name

from .models import Community


def active_schemas() -> list[str]:
    """Schema names of the open CPTS: the targets of a beat fan-out or a national refresh."""
    connection.set_schema_to_public()
    return list(
        Community.objects.filter(status=Community.Status.ACTIVE)
        .exclude(schema_name=get_public_schema_name())
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )


def current_community() -> Community:
    """The CPTS whose schema the connection is on: ``connection.tenant`` (set by the tenant
    middleware and by the workers' tenant context), or its row read again when the connection was
    switched by schema name only (``schema_context`` leaves a FakeTenant)."""
    tenant = connection.tenant
    if isinstance(tenant, Community):
        return tenant
    return Community.objects.get(schema_name=connection.schema_name)
