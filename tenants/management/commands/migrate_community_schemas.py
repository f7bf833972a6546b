"""Child process of ``migrate_platform``: migrates the given CPTS schemas one after another.

Prints one JSON line per schema (``{"schema", "ok", "applied", "seconds", "error"}``), then its peak
memory (``{"rss_kb"}``). A failing schema is reported and the next one is migrated: each migration
is atomic, so the failed schema stays at its last applied migration and the next pass resumes there.
How each schema is migrated: ``tenants/schema_executor.py``.
"""

from __future__ import annotations

import json
import resource
import time
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.module_loading import module_has_submodule

from tenants.schema_executor import SchemaMigrator


class Command(BaseCommand):
    help = "Migre les schémas CPTS donnés (processus enfant de migrate_platform)."
    # The parent (migrate_platform) ran the system checks once for the whole pass.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("schemas", nargs="+")

    def handle(self, *args, **options):
        # As Django's migrate does: apps' management modules connect their post_migrate handlers.
        for app_config in apps.get_app_configs():
            if module_has_submodule(app_config.module, "management"):
                import_module(".management", app_config.name)
        migrator = SchemaMigrator()
        for schema in options["schemas"]:
            started = time.perf_counter()
            outcome = {"schema": schema, "ok": True}
            try:
                outcome["applied"] = migrator.migrate(schema)
            except Exception as error:  # noqa: BLE001 - reported to the parent, the next schema goes on
                outcome.update(ok=False, error=f"{type(error).__name__}: {error}".strip()[:2000])
                # A failed DDL can leave the connection in an aborted transaction: start afresh.
                connection.close()
            connection.set_schema_to_public()
            outcome["seconds"] = round(time.perf_counter() - started, 3)
            self.stdout.write(json.dumps(outcome))
            self.stdout.flush()
        self.stdout.write(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
