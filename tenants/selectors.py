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
