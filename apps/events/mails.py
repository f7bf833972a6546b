"""The e-mails of events: promotion from the waiting list, an unpaid hold released, cancellation,
reminders. Called by the workers (thin tasks). Each registration is locked, told through the
notification service (apps.notifications: preferences, in-app list, then the one mail path), then
stamped in one transaction: a task run twice tells once.

Mail keys carry the registration's ``queued_at``: someone who cancels and registers again is a new
registration for the e-mails (its stamps are cleared by ``services.register``), told again."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.notifications.service import Delivery, notify

from .models import Event, Registration
from .selectors import list_due_reminders


def event_url(community, event: Event) -> str:
    return f"{community.primary_url()}evenements/{event.pk}/"


def _tell(
    registration: Registration, *, kind: str, stamp: str, subject: str, template: str, context: dict, url: str
) -> bool:
    """Notify the registrant (locked by the caller) through the notification service, then stamp
    ``stamp`` on the registration. True when an e-mail left now; False when another worker is
    sending this very mail (it stamps), or the person chose the digest or nothing for this kind."""
    delivery = notify(
        user=registration.user,
        kind=kind,
        key=f"events.{stamp}:{registration.pk}:{registration.queued_at.timestamp()}",
        subject=subject,
        template=template,
        context={"user": registration.user, **context},
        url=url,
    )
    if not delivery.done:
        return False
    setattr(registration, stamp, timezone.now())
    registration.save(update_fields=[stamp])
    return delivery is Delivery.SENT


def _locked(registration_id: int, *, skip_locked: bool = False, **filters) -> Registration | None:
    return (
        Registration.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("event", "user")
        .filter(pk=registration_id, **filters)
        .first()
    )


def send_promotion_notice(registration_id: int) -> str:
    """Tell someone promoted from the waiting list that they have a place (on a paid event: a seat
    held for them, with the link to pay). Returns "sent" or "skipped"."""
    community = connection.tenant
    with transaction.atomic():
        registration = _locked(registration_id)
        if (
            registration is None
            or registration.status not in Registration.SEATED
            or registration.promotion_notified_at is not None
        ):
            return "skipped"
        url = event_url(community, registration.event)
        sent = _tell(
            registration,
            kind="events.promoted",
            stamp="promotion_notified_at",
            subject=_("Une place s'est libérée : %(title)s") % {"title": registration.event.title},
            template="events/email/promoted",
            context={"event": registration.event, "registration": registration, "url": url,
                     "pay_url": f"{url}paiement/"},
            url=url,
        )  # fmt: skip
    return "sent" if sent else "skipped"


def send_hold_expired_notice(registration_id: int) -> str:
    """Tell someone that the seat held for them on a paid event was released, unpaid."""
    community = connection.tenant
    with transaction.atomic():
        registration = _locked(registration_id)
        if (
            registration is None
            or registration.status != Registration.Status.EXPIRED
            or registration.hold_expired_notified_at is not None
        ):
            return "skipped"
        sent = _tell(
            registration,
            kind="events.hold_expired",
            stamp="hold_expired_notified_at",
            subject=_("Place non réglée, réservation expirée : %(title)s")
            % {"title": registration.event.title},
            template="events/email/hold_expired",
            context={"event": registration.event, "url": event_url(community, registration.event)},
            url=event_url(community, registration.event),
        )
    return "sent" if sent else "skipped"


def send_cancellation_notices(event_id: int) -> int:
    """Tell everyone confirmed, holding a seat or waiting that the event is cancelled (a paid seat
    is told it is refunded). Returns how many e-mails were sent."""
    community = connection.tenant
    event = Event.objects.filter(pk=event_id, status=Event.Status.CANCELLED).first()
    if event is None:
        return 0
    pending = Registration.objects.filter(
        event=event,
        status__in=[
            Registration.Status.CONFIRMED,
            Registration.Status.PENDING,
            Registration.Status.WAITLISTED,
        ],
        cancellation_notified_at__isnull=True,
    ).values_list("pk", flat=True)
    sent = 0
    for registration_id in list(pending):
        with transaction.atomic():
            registration = _locked(registration_id, skip_locked=True, cancellation_notified_at__isnull=True)
            if registration is None:
                continue
            paid = registration.payments.filter(status__in=["succeeded", "refunded"]).exists()
            sent += _tell(
                registration,
                kind="events.cancelled",
                stamp="cancellation_notified_at",
                subject=_("Événement annulé : %(title)s") % {"title": event.title},
                template="events/email/cancelled",
                context={"event": event, "paid": paid},
                url=event_url(community, event),
            )
    return sent


def send_event_reminders() -> int:
    """E-mail every confirmed participant whose event enters its reminder window (rows another
    worker holds are skipped). Returns how many e-mails were sent."""
    community = connection.tenant
    sent = 0
    for registration_id in list(list_due_reminders().values_list("pk", flat=True)):
        with transaction.atomic():
            registration = _locked(registration_id, skip_locked=True, reminder_sent_at__isnull=True)
            if registration is None:
                continue
            sent += _tell(
                registration,
                kind="events.reminder",
                stamp="reminder_sent_at",
                subject=_("Rappel : %(title)s") % {"title": registration.event.title},
                template="events/email/reminder",
                context={"event": registration.event, "url": event_url(community, registration.event)},
                url=event_url(community, registration.event),
            )
    return sent
