import os

from celery import Celery

from cpts_platform.celery_join import keep_per_thread
from cpts_platform.task_metrics import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")

app = Celery("cpts_platform")
# « No result.get() inside a task » is each thread's own, not the process's (cpts_platform/celery_join.py).
keep_per_thread()
app.config_from_object("django.conf:settings", namespace="CELERY")
# Task modules live in workers/ (one module per domain), not in the apps.
app.autodiscover_tasks(["workers"], related_name=None, force=True)
app.conf.imports = (
    "workers.aci",
    "workers.accounts",
    "workers.health",
    "workers.directory",
    "workers.site",
    "workers.events",
    "workers.dues",
    "workers.payments",
    "workers.roster",
    "workers.working_groups",
    "workers.campaigns",
    "workers.gdpr",
    "workers.access_care",
    "workers.mailing",
)
# Duration, failures and retries of every task, per task name (docs/observability.md).
connect_celery_signals()
