"""Development settings plus the migration probe app (a tenant app whose migrations
benchmarks/migrate_all.py writes under the data directory); used by that benchmark only."""

import sys

from cpts_platform.settings.dev import *  # noqa: F403
from cpts_platform.settings.dev import DATA_DIR, INSTALLED_APPS, TENANT_APPS

PROBE_MIGRATIONS_PARENT = DATA_DIR / "migration_probe"
PROBE_MIGRATIONS_PACKAGE = "migrate_all_probe_migrations"
PROBE_MIGRATIONS_DIR = PROBE_MIGRATIONS_PARENT / PROBE_MIGRATIONS_PACKAGE
PROBE_MIGRATIONS_DIR.mkdir(parents=True, exist_ok=True)
(PROBE_MIGRATIONS_DIR / "__init__.py").touch()
if str(PROBE_MIGRATIONS_PARENT) not in sys.path:
    sys.path.insert(0, str(PROBE_MIGRATIONS_PARENT))

TENANT_APPS = [*TENANT_APPS, "benchmarks.migration_probe.apps.MigrationProbeConfig"]
INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.migration_probe.apps.MigrationProbeConfig"]
MIGRATION_MODULES = {"migration_probe": PROBE_MIGRATIONS_PACKAGE}
