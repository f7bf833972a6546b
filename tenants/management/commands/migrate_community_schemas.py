"""Child process of ``migrate_platform``: migrates the given CPTS schemas one after another.

Prints one JSON line per schema (``{"schema", "ok", "applied", "seconds", "error"}``), then its peak
memory (``{"rss_kb"}``). A failing schema is reported and the next one is migrated: each migration
is atomic, so the failed schema stays at its last applied migration and the next pass resumes there.

Per schema it does what Django's ``migrate`` does (as django-tenants runs it: search path on the
schema, its own ``django_migrations``), with one saving: the project state before the plan is
rendered once per set of applied migrations and cloned for each schema with that same set (nearly
all of them, since they are clones of one template). Rendering it is half the cost of a per-schema
``migrate`` (~0.25 s measured with 49 tables), and it is the same for every such schema.
"""

from __future__ import annotations

import json
import resource
import time
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ModelState, ProjectState
from django.utils.module_loading import module_has_submodule


class SchemaMigrator:
    """Migrates one schema at a time on ``connection``, reusing rendered states across schemas."""

    def __init__(self) -> None:
        self._states: dict[frozenset, ProjectState] = {}

    def migrate(self, schema: str) -> int:
        """Apply the migrations ``schema`` lacks; returns how many. Raises what migrate raises."""
        # As django-tenants does: the schema's own django_migrations, never public's.
        connection.set_schema(schema, include_public=False)
        MigrationRecorder(connection).ensure_schema()
        connection.set_schema(schema)
        executor = MigrationExecutor(connection)
        executor.loader.check_consistent_history(connection)
        targets = executor.loader.graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        if not plan:
            return 0
        applied = frozenset(executor.loader.applied_migrations)
        state = self._states.get(applied)
        if state is None:
            state = executor._create_project_state(with_applied_migrations=True)
            state.apps  # noqa: B018 - render now, once, so every clone below shares the work
            self._states[applied] = state
        emit_pre_migrate_signal(0, False, connection.alias, apps=state.apps, plan=plan)
        post_state = executor.migrate(targets, plan=plan, state=state.clone())
        # What Django's migrate does before post_migrate: real models re-rendered in the final state.
        post_state.clear_delayed_apps_cache()
        post_apps = post_state.apps
        with post_apps.bulk_update():
            model_keys = []
            for model_state in post_apps.real_models:
                model_keys.append((model_state.app_label, model_state.name_lower))
                post_apps.unregister_model(*model_keys[-1])
        post_apps.render_multiple([ModelState.from_model(apps.get_model(*key)) for key in model_keys])
        emit_post_migrate_signal(0, False, connection.alias, apps=post_apps, plan=plan)
        return len(plan)


class Command(BaseCommand):
    help = "Migre les schémas CPTS donnés (processus enfant de migrate_platform)."

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
