"""Set-up of the shared parts: the platform's own tenant row and the template schema."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_exists

from .models import Community, Domain
from .schema_migrations import (
    DEFAULT_MIN_PER_PROCESS,
    DEFAULT_PER_PROCESS,
    MigrationReport,
    migrate_communities,
    schemas_behind_code,
)


def ensure_platform_site() -> Community:
    """The public schema's Community row and its domain (PLATFORM_DOMAIN): the platform site."""
    public, _ = Community.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"name": "Plateforme CPTS", "status": Community.Status.ACTIVE},
    )
    Domain.objects.get_or_create(
        domain=settings.PLATFORM_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )
    return public


def migrate_template_schema(verbosity: int = 0) -> None:
    """Create (if needed) and migrate the schema every new CPTS is cloned from."""
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{template}"')
    call_command("migrate_schemas", tenant=True, schema_name=template, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()


def migrate_everything(
    verbosity: int = 0,
    *,
    jobs: int | None = None,
    per_process: int = DEFAULT_PER_PROCESS,
    min_per_process: int = DEFAULT_MIN_PER_PROCESS,
    progress: Callable[[str], None] | None = None,
) -> MigrationReport:
    """Public schema, then the template, then the CPTS schemas not level with the template, in
    parallel child processes (tenants/schema_migrations.py): the one command deployments run.
    The public schema and the template are migrated only when they lack one of the code's
    migrations (one query for both). A failed CPTS schema does not stop the others; it is in the
    returned report's ``failed``."""
    progress = progress or (lambda line: None)
    public, template = get_public_schema_name(), settings.TENANT_BASE_SCHEMA
    behind = schemas_behind_code([public, template])
    if public in behind:
        progress(f"Schéma public : {behind[public]} migration(s) à appliquer")
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
    ensure_platform_site()
    call_command("load_communes", verbosity=verbosity)
    if template in behind:
        missing = behind[template]
        progress(
            f"Schéma modèle : {missing} migration(s) à appliquer"
            if missing >= 0
            else "Schéma modèle absent : créé et migré"
        )
        migrate_template_schema(verbosity)
    if not behind:
        progress("Schéma public et schéma modèle à jour")
    report = migrate_communities(
        jobs=jobs, per_process=per_process, min_per_process=min_per_process, progress=progress
    )
    connection.set_schema_to_public()
    return report
