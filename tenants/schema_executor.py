"""Migrating many CPTS schemas one after another in one process (``migrate_community_schemas``).

Per schema it does what Django's ``migrate`` does as django-tenants runs it (search path on the
schema, its own ``django_migrations``, pre/post_migrate signals), minus three costs that are the
same for every schema or grow with the number of schemas:

- The migration graph is read from disk once per process, not once per schema (Django's executor
  builds a ``MigrationLoader`` each time: ~70 ms of imports and graph checks).
- Whether ``django_migrations`` exists is asked by name on the search path, not by listing every
  visible table. Django's recorder lists them (``introspection.table_names``): a scan of the whole
  catalog, ~400,000 relations at 1,000 CPTS, ~0.4 s, asked four times per schema. A pass over N
  schemas would cost O(N²) in PostgreSQL for that alone.
- The project state before the plan, and the real models re-rendered after it for post_migrate, are
  rendered once per set of applied migrations and reused for every schema with that same set (nearly
  all of them: they are clones of one template). Rendering is ~0.25 s each with 49 tables.

What stays per schema is what must: the DDL of each migration (the executor replays the operations
on a copy of the rendered state, as Django does), recording it, and the post_migrate handlers
(content types and permissions of new models in that schema).
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connection
from django.db.migrations.exceptions import InconsistentMigrationHistory
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ModelState, ProjectState, StateApps


class SchemaRecorder(MigrationRecorder):
    """Django's recorder, with ``has_table`` asked by name: ``to_regclass`` resolves the unqualified
    name on the search path, which is what "among the visible tables" means, without the scan."""

    def has_table(self) -> bool:
        if self._has_table:
            return True
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [self.Migration._meta.db_table])
            self._has_table = cursor.fetchone()[0]
        return self._has_table


class SchemaExecutor(MigrationExecutor):
    """Django's executor on a loader shared across schemas (its graph read once), with the applied
    migrations of the schema on the search path, read through ``SchemaRecorder``."""

    def __init__(self, connection, loader: MigrationLoader) -> None:
        # Not super().__init__: it would build a loader (the disk and the catalog scan again).
        self.connection = connection
        self.recorder = SchemaRecorder(connection)
        self.loader = loader
        self.loader.applied_migrations = self.recorder.applied_migrations()
        self.progress_callback = None

    def check_consistent_history(self) -> None:
        """Django's ``MigrationLoader.check_consistent_history`` on the applied migrations read above."""
        applied = self.loader.applied_migrations
        graph = self.loader.graph
        for migration in applied:
            if migration not in graph.nodes:
                continue
            for parent in graph.node_map[migration].parents:
                if parent in applied:
                    continue
                replacement = self.loader.replacements.get(parent)
                if replacement and all(key in applied for key in replacement.replaces):
                    continue
                raise InconsistentMigrationHistory(
                    f"Migration {migration[0]}.{migration[1]} is applied before its dependency "
                    f"{parent[0]}.{parent[1]} on database '{self.connection.alias}'."
                )


class SchemaMigrator:
    """Migrates one schema at a time on ``connection``, reusing what is the same across schemas."""

    def __init__(self) -> None:
        self._loader = MigrationLoader(None)
        # A squashed migration is planned differently depending on which of the migrations it
        # replaces a schema has applied: then the graph is built per schema, as Django does.
        self._shared_graph = not self._loader.replacements
        self._states: dict[frozenset, ProjectState] = {}
        self._post_apps: dict[frozenset, StateApps] = {}

    def _executor(self) -> SchemaExecutor:
        loader = self._loader if self._shared_graph else MigrationLoader(connection)
        return SchemaExecutor(connection, loader)

    def migrate(self, schema: str) -> int:
        """Apply the migrations ``schema`` lacks; returns how many. Raises what migrate raises."""
        # As django-tenants does: the schema's own django_migrations, never public's.
        connection.set_schema(schema, include_public=False)
        SchemaRecorder(connection).ensure_schema()
        connection.set_schema(schema)
        executor = self._executor()
        executor.check_consistent_history()
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
        post_apps = self._post_apps.get(applied)
        if post_apps is None:
            post_apps = self._post_apps[applied] = self._render_real_models(post_state)
        emit_post_migrate_signal(0, False, connection.alias, apps=post_apps, plan=plan)
        return len(plan)

    @staticmethod
    def _render_real_models(post_state: ProjectState) -> StateApps:
        """What Django's migrate does before post_migrate: the real models re-rendered in the final
        state (the same for every schema that started from the same applied migrations)."""
        post_state.clear_delayed_apps_cache()
        post_apps = post_state.apps
        with post_apps.bulk_update():
            model_keys = []
            for model_state in post_apps.real_models:
                model_keys.append((model_state.app_label, model_state.name_lower))
                post_apps.unregister_model(*model_keys[-1])
        post_apps.render_multiple([ModelState.from_model(apps.get_model(*key)) for key in model_keys])
        return post_apps
