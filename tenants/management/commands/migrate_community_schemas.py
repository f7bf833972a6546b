"""Child process of ``migrate_platform``: migrates the given CPTS schemas one after another.

Prints one JSON line per schema (``{"schema", "ok", "seconds", "error"}``), then its peak memory
(``{"rss_kb"}``). A failing schema is reported and the next one is migrated: each migration is
atomic, so the failed schema stays at its last applied migration and the next pass resumes there.
"""

from __future__ import annotations

import json
import resource
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = "Migre les schémas CPTS donnés (processus enfant de migrate_platform)."

    def add_arguments(self, parser):
        parser.add_argument("schemas", nargs="+")

    def handle(self, *args, **options):
        for schema in options["schemas"]:
            started = time.perf_counter()
            outcome = {"schema": schema, "ok": True}
            try:
                call_command("migrate_schemas", schema_name=schema, interactive=False, verbosity=0)
            except Exception as error:  # noqa: BLE001 - reported to the parent, the next schema goes on
                outcome.update(ok=False, error=f"{type(error).__name__}: {error}".strip()[:2000])
                # A failed DDL can leave the connection in an aborted transaction: start afresh.
                connection.close()
            connection.set_schema_to_public()
            outcome["seconds"] = round(time.perf_counter() - started, 3)
            self.stdout.write(json.dumps(outcome))
            self.stdout.flush()
        self.stdout.write(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
