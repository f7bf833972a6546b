"""Writing and reading the audit log of the schema the connection is on.

A CPTS's actions land in its schema, the operator's in the public schema: the caller does not
choose, the connection does (request routing or the worker's tenant context), so a line can never
be written into another CPTS's log.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Model, QuerySet

from tenants.actors import SYSTEM

from .actions import ACTIONS
from .models import AuditEvent


class UnknownAction(ValueError):
    """An action code missing from ``apps.audit.actions.ACTIONS``."""


def record(actor, action: str, target: Model | None = None, **details) -> AuditEvent:
    """Append one line: ``actor`` (an account, or ``tenants.actors.SYSTEM``) did ``action`` on
    ``target`` (a model instance, or None), with JSON-able ``details``.

    Joins the caller's transaction: a write rolled back leaves no line, and a line cannot be lost
    while its write is kept. Raises UnknownAction for a code not in the catalogue. An account
    target is stored by id only (its name is read when shown, so anonymising it hides it here too).
    """
    if action not in ACTIONS:
        raise UnknownAction(action)
    target_type = target_id = target_label = ""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        if not isinstance(target, get_user_model()):
            target_label = str(target)[:200]
    return AuditEvent.objects.create(
        actor=None if actor is SYSTEM or actor is None else actor,
        by_platform=actor is SYSTEM,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        details=details,
    )


def list_events(
    *,
    action: str = "",
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """This schema's lines, newest first, filtered; the actor's account joined for display."""
    events = AuditEvent.objects.select_related("actor")
    if action:
        events = events.filter(action=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if since:
        events = events.filter(at__gte=since)
    if until:
        events = events.filter(at__lt=until)
    return events.order_by("-at", "-pk")


def purge_before(cutoff: datetime) -> int:
    """Delete this schema's lines older than ``cutoff`` (the retention delay); how many. The only
    DELETE the database lets through: the trigger checks the transaction-local flag set here."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('cpts.audit_purge', 'on', true)")
        deleted, _rows = AuditEvent.objects.filter(at__lt=cutoff).delete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('cpts.audit_purge', 'off', true)")
    return deleted
