"""Retention of the mail provider's delivery events (``DeliveryEvent``: the tracking webhooks'
bounces, complaints, deliveries; each holds the recipient's address): deleted
``DELIVERY_EVENT_RETENTION_DAYS`` after they arrived. What they decided stays: the suppression
list (``Suppression``) is its own table, and the figures read from them are kept by the apps that
read them before the events go (``register_event_keeper``: campaigns keep their bounced recipients
on the campaign).

Run by beat (workers/mailing.py): ``purge_unowned_events`` in the public schema (events naming no
CPTS: not ours, or of a CPTS whose data is gone), then ``purge_community_events`` in each CPTS
holding data, for the events of its own messages. Run twice, acts once: what went is not found
again, and the keepers run in the same transaction as the delete.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.log import record
from tenants.actors import SYSTEM

from .models import DeliveryEvent

EventKeeper = Callable[[QuerySet], None]
_keepers: list[EventKeeper] = []


def register_event_keeper(keeper: EventKeeper) -> None:
    """``keeper(events)`` is called in a CPTS's schema, inside the purge's transaction, with the
    events of that CPTS about to be deleted: an app above keeps what its figures need (it must
    be idempotent: a purge that fails is run again)."""
    if keeper not in _keepers:
        _keepers.append(keeper)


def cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.DELIVERY_EVENT_RETENTION_DAYS)


def purge_community_events(now: datetime | None = None) -> int:
    """Delete the current CPTS's delivery events past the delay, after the keepers kept what
    they need. Returns how many went; an audit line in this CPTS when any did."""
    schema = connection.schema_name
    with transaction.atomic():
        due = list(
            DeliveryEvent.objects.filter(schema=schema, received_at__lt=cutoff(now))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not due:
            return 0
        events = DeliveryEvent.objects.filter(pk__in=due)
        for keeper in list(_keepers):
            keeper(events)
        deleted = events.delete()[0]
        record(SYSTEM, "gdpr.retention_applied", None, delivery_events=deleted)
    return deleted


def purge_unowned_events(schemas_with_data: list[str], now: datetime | None = None) -> int:
    """In the public schema: delete the delivery events past the delay that belong to no CPTS
    holding data (a message that was not ours, or a CPTS whose data is gone), whose figures
    nobody reads. Returns how many went; an audit line in the platform's log when any did."""
    with transaction.atomic():
        deleted = (
            DeliveryEvent.objects.filter(received_at__lt=cutoff(now))
            .exclude(schema__in=[schema for schema in schemas_with_data if schema])
            .delete()[0]
        )
        if deleted:
            record(SYSTEM, "gdpr.retention_applied", None, delivery_events=deleted)
    return deleted
