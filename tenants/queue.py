"""Publishing background work by name.

Domain code (``apps/*``, ``tenants``) never imports a task module: it names the work, and the
task is looked up in Celery's registry when it is published. ``workers/`` imports the services,
never the reverse, so the layers import one way (docs/architecture.md).

``enqueue_on_commit("dues.issue_receipt", schema, payment_id)`` checks the name at once (a typo
fails in the request that made it, not silently after commit) and queues the task after the
current transaction commits, so a worker never reads rows that are not there yet. Unlike
Celery's ``send_task``, it honours ``CELERY_TASK_ALWAYS_EAGER`` (the task runs inline in tests).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction


class UnknownTask(LookupError):
    """No task of that name is registered with the Celery app."""


def registered_task(name: str):
    """The task registered as ``name``; imports the task modules the app declares when needed."""
    app = current_app
    if name not in app.tasks:
        # The web process has not necessarily imported workers/ yet: the app's ``imports`` list
        # (cpts_platform/celery.py) is the registry's source.
        app.loader.import_default_modules()
    try:
        return app.tasks[name]
    except KeyError:
        raise UnknownTask(f"no Celery task is registered as {name!r}") from None


def enqueue(name: str, *args: Any, countdown: float | None = None) -> None:
    """Queue task ``name`` with positional ``args`` now (outside a transaction, or on purpose)."""
    registered_task(name).apply_async(args=args, countdown=countdown)


def enqueue_on_commit(
    name: str, *args: Any, countdown: float | None = None, using: str | None = None
) -> None:
    """Queue task ``name`` with ``args`` once the current transaction commits (at once outside one)."""
    task = registered_task(name)
    # A partial, not a lambda: its repr names the task it will publish.
    transaction.on_commit(partial(task.apply_async, args=args, countdown=countdown), using=using)
