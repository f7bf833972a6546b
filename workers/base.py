"""The base class of every per-CPTS task.

Contract: the first positional argument is the schema name of the CPTS, then ids and primitives
only. The task enters that schema before running and refuses the public schema or an unknown
one, so a task can never act "nowhere" (tenant-schemas-celery would silently fall back to public).
"""

from __future__ import annotations

from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import connection
from django_tenants.utils import get_public_schema_name, get_tenant_model

from tenants.selectors import active_schemas


class PublicSchemaRefused(RuntimeError):
    pass


class TenantTask(DjangoTask):
    """Enqueue with ``delay_on_commit`` (DjangoTask) so workers never see uncommitted rows."""

    abstract = True

    def __call__(self, schema_name: str, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(schema_name, str) or schema_name == get_public_schema_name():
            raise PublicSchemaRefused(f"{self.name} must run in a CPTS schema, got {schema_name!r}")
        previous = connection.tenant if hasattr(connection, "tenant") else None
        connection.set_schema_to_public()
        community = get_tenant_model().objects.filter(schema_name=schema_name).first()
        if community is None:
            raise PublicSchemaRefused(f"{self.name}: no CPTS with schema {schema_name!r}")
        connection.set_tenant(community)
        try:
            return super().__call__(schema_name, *args, **kwargs)
        finally:
            if previous is not None:
                connection.set_tenant(previous)
            else:
                connection.set_schema_to_public()


def fan_out(task, *args: Any, spread_seconds: int = 60) -> int:
    """Queue ``task(schema, *args)`` once per open CPTS, spread over ``spread_seconds`` so that
    ~800 CPTS do not hit the database in the same second. Returns how many were queued."""
    schemas = active_schemas()
    for index, schema in enumerate(schemas):
        countdown = int(spread_seconds * index / max(len(schemas), 1))
        task.apply_async(args=(schema, *args), countdown=countdown)
    return len(schemas)
