"""Retention of the mail provider's delivery events (``DeliveryEvent``: the tracking webhooks'
bounces, complaints, deliveries; each holds the recipient's address): deleted
``DELIVERY_EVENT_RETENTION_DAYS`` after they arrived. The platform's mail log (``SentMail``: the
recipients, subject and idempotency key of each mail) goes ``SENT_MAIL_RETENTION_DAYS`` after
sending (longer than the events, and never while an event still points at it): a key only has to
outlive the retries of the task that sent it. What they decided stays: the suppression
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

from .models import DeliveryEvent, SentMail

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


def sent_mail_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.SENT_MAIL_RETENTION_DAYS)


def _purge_sent_mail(sent: QuerySet, now: datetime | None) -> int:
    return sent.filter(sent_at__lt=sent_mail_cutoff(now), events__isnull=True).delete()[0]


def purge_community_events(now: datetime | None = None) -> int:
    """Delete the current CPTS's delivery events past the delay, after the keepers kept what
    they need, then its mail log past its own delay. Returns how many events went; an audit line
    in this CPTS when anything did."""
    schema = connection.schema_name
    with transaction.atomic():
        due = list(
            DeliveryEvent.objects.filter(schema=schema, received_at__lt=cutoff(now))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        deleted = 0
        if due:
            events = DeliveryEvent.objects.filter(pk__in=due)
            for keeper in list(_keepers):
                keeper(events)
            deleted = events.delete()[0]
        mails = _purge_sent_mail(SentMail.objects.filter(schema=schema), now)
        if deleted or mails:
            record(SYSTEM, "gdpr.retention_applied", None, delivery_events=deleted, sent_mails=mails)
    return deleted


def purge_unowned_events(schemas_with_data: list[str], now: datetime | None = None) -> int:
    """In the public schema: delete the delivery events past the delay that belong to no CPTS
    holding data (a message that was not ours, or a CPTS whose data is gone), whose figures
    nobody reads. Returns how many went; an audit line in the platform's log when any did."""
    with transaction.atomic():
        holding = [schema for schema in schemas_with_data if schema]
        deleted = (
            DeliveryEvent.objects.filter(received_at__lt=cutoff(now)).exclude(schema__in=holding).delete()[0]
        )
        mails = _purge_sent_mail(SentMail.objects.exclude(schema__in=holding), now)
        if deleted or mails:
            record(SYSTEM, "gdpr.retention_applied", None, delivery_events=deleted, sent_mails=mails)
    return deleted
