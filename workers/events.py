"""Event tasks: e-mails (promotion from the waiting list, cancellation, reminders) and the money
of paid events (release of unpaid holds, refunds)."""

from __future__ import annotations

import stripe
from celery import shared_task
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from workers.base import TenantTask, fan_out

REMINDER_STAGGER_SECONDS = 60


def _event_url(community, event) -> str:
    return f"{community.primary_url()}evenements/{event.pk}/"


def _mail_and_stamp(
    task, registration, *, stamp: str, subject: str, template: str, context: dict, retry_after: int = 60
) -> None:
    """Send one e-mail to the registrant, then stamp ``stamp`` on the (locked) registration.

    Called inside the caller's transaction, so a failed send leaves the row unstamped; SMTP
    errors are transient and retried with a growing delay.
    """
    try:
        send_mail(
            subject=subject,
            message=render_to_string(template, context),
            from_email=None,
            recipient_list=[registration.user.email],
        )
    except OSError as exc:  # SMTP unreachable: transient
        raise task.retry(exc=exc, countdown=retry_after * (task.request.retries + 1)) from exc
    setattr(registration, stamp, timezone.now())
    registration.save(update_fields=[stamp])


@shared_task(base=TenantTask, name="events.send_promotion_notice", bind=True, max_retries=5)
def send_promotion_notice_task(self, schema_name: str, registration_id: int) -> str:
    """Tell someone promoted from the waiting list that they have a place (on a paid event: a
    seat held for them, with the link to pay). Runs twice, sends once."""
    from apps.events.models import Registration

    community = connection.tenant
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("event", "user")
            .filter(pk=registration_id)
            .first()
        )
        if (
            registration is None
            or registration.status not in Registration.SEATED
            or registration.promotion_notified_at is not None
        ):
            return "skipped"
        context = {
            "community": community,
            "event": registration.event,
            "registration": registration,
            "user": registration.user,
            "url": _event_url(community, registration.event),
            "pay_url": f"{_event_url(community, registration.event)}paiement/",
        }
        _mail_and_stamp(
            self,
            registration,
            stamp="promotion_notified_at",
            subject=f"Une place s'est libérée : {registration.event.title}",
            template="events/email/promoted.txt",
            context=context,
            retry_after=30,
        )
    return "sent"


@shared_task(base=TenantTask, name="events.send_hold_expired_notice", bind=True, max_retries=5)
def send_hold_expired_notice_task(self, schema_name: str, registration_id: int) -> str:
    """Tell someone that the seat held for them on a paid event was released, unpaid. Runs twice,
    sends once."""
    from apps.events.models import Registration

    community = connection.tenant
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("event", "user")
            .filter(pk=registration_id)
            .first()
        )
        if (
            registration is None
            or registration.status != Registration.Status.EXPIRED
            or registration.hold_expired_notified_at is not None
        ):
            return "skipped"
        context = {
            "community": community,
            "event": registration.event,
            "user": registration.user,
            "url": _event_url(community, registration.event),
        }
        _mail_and_stamp(
            self,
            registration,
            stamp="hold_expired_notified_at",
            subject=f"Place non réglée, réservation expirée : {registration.event.title}",
            template="events/email/hold_expired.txt",
            context=context,
        )
    return "sent"


@shared_task(base=TenantTask, name="events.send_cancellation_notices", bind=True, max_retries=5)
def send_cancellation_notices_task(self, schema_name: str, event_id: int) -> int:
    """Tell everyone confirmed, holding a seat or waiting that the event is cancelled (a paid
    seat is told it is refunded). Each registration is locked, told, then stamped: runs twice,
    tells once. Returns how many e-mails were sent."""
    from apps.events.models import Event, Registration

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
            registration = (
                Registration.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(pk=registration_id, cancellation_notified_at__isnull=True)
                .first()
            )
            if registration is None:
                continue
            paid = registration.payments.filter(status__in=["succeeded", "refunded"]).exists()
            context = {"community": community, "event": event, "user": registration.user, "paid": paid}
            _mail_and_stamp(
                self,
                registration,
                stamp="cancellation_notified_at",
                subject=f"Événement annulé : {event.title}",
                template="events/email/cancelled.txt",
                context=context,
            )
            sent += 1
    return sent


@shared_task(base=TenantTask, name="events.send_event_reminders", bind=True, max_retries=5)
def send_event_reminders_task(self, schema_name: str) -> int:
    """E-mail every confirmed participant whose event enters its reminder window.

    Each registration is locked (skipping rows another worker holds), sent, then stamped in one
    transaction: runs twice, reminds once. Returns how many e-mails were sent.
    """
    from apps.events.models import Registration
    from apps.events.selectors import list_due_reminders

    community = connection.tenant
    sent = 0
    for registration_id in list(list_due_reminders().values_list("pk", flat=True)):
        with transaction.atomic():
            registration = (
                Registration.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("event", "user")
                .filter(pk=registration_id, reminder_sent_at__isnull=True)
                .first()
            )
            if registration is None:
                continue
            context = {
                "community": community,
                "event": registration.event,
                "user": registration.user,
                "url": _event_url(community, registration.event),
            }
            _mail_and_stamp(
                self,
                registration,
                stamp="reminder_sent_at",
                subject=f"Rappel : {registration.event.title}",
                template="events/email/reminder.txt",
                context=context,
            )
            sent += 1
    return sent


def _retry_when_stripe_is_unreachable(task, work, *args):
    """``work(*args)``, retried later (growing delay) when Stripe cannot be reached."""
    try:
        return work(*args)
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise task.retry(exc=exc, countdown=30 * 2**task.request.retries) from exc


@shared_task(name="events.fan_out_reminders")
def fan_out_reminders_task() -> int:
    """Beat entry: one reminder task per active CPTS, staggered over a minute."""
    return fan_out(send_event_reminders_task, spread_seconds=REMINDER_STAGGER_SECONDS)


@shared_task(base=TenantTask, name="events.expire_holds")
def expire_holds_task(schema_name: str) -> int:
    """Release unpaid seats of paid events past their hold; promote waiting lists. Idempotent."""
    from apps.events.services import expire_holds

    return expire_holds()


@shared_task(name="events.fan_out_hold_expiry")
def fan_out_hold_expiry_task() -> int:
    """Beat entry (every 5 min): one hold-expiry task per active CPTS."""
    return fan_out(expire_holds_task, spread_seconds=REMINDER_STAGGER_SECONDS)


@shared_task(base=TenantTask, name="events.refund_unseated_payment", bind=True, max_retries=5)
def refund_unseated_payment_task(self, schema_name: str, payment_id: int) -> str:
    """Refund a payment that arrived for a seat no longer held (credit note e-mailed)."""
    from apps.events.services import refund_unseated_payment

    refunded = _retry_when_stripe_is_unreachable(self, refund_unseated_payment, payment_id)
    return "refunded" if refunded else "skipped"


@shared_task(base=TenantTask, name="events.refund_cancelled_event", bind=True, max_retries=5)
def refund_cancelled_event_task(self, schema_name: str, event_id: int) -> int:
    """Refund the paid registrations of a cancelled event. Runs twice, refunds once."""
    from apps.events.services import refund_cancelled_event

    return _retry_when_stripe_is_unreachable(self, refund_cancelled_event, event_id)
