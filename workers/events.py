"""Event tasks: e-mails (promotion from the waiting list, cancellation, reminders) and the money
of paid events (release of unpaid holds, refunds)."""

from __future__ import annotations

from celery import shared_task

from apps.events import mails, services
from workers.base import TenantTask, fan_out

REMINDER_STAGGER_SECONDS = 60


@shared_task(base=TenantTask, name="events.send_promotion_notice")
def send_promotion_notice_task(schema_name: str, registration_id: int) -> str:
    """Tell someone promoted from the waiting list that they have a place. Runs twice, sends once."""
    return mails.send_promotion_notice(registration_id)


@shared_task(base=TenantTask, name="events.send_hold_expired_notice")
def send_hold_expired_notice_task(schema_name: str, registration_id: int) -> str:
    """Tell someone their unpaid seat was released. Runs twice, sends once."""
    return mails.send_hold_expired_notice(registration_id)


@shared_task(base=TenantTask, name="events.send_cancellation_notices")
def send_cancellation_notices_task(schema_name: str, event_id: int) -> int:
    """Tell every registrant that the event is cancelled. Runs twice, tells once."""
    return mails.send_cancellation_notices(event_id)


@shared_task(base=TenantTask, name="events.send_event_reminders")
def send_event_reminders_task(schema_name: str) -> int:
    """E-mail the participants whose event enters its reminder window. Runs twice, reminds once."""
    return mails.send_event_reminders()


@shared_task(name="events.fan_out_reminders")
def fan_out_reminders_task() -> int:
    """Beat entry: one reminder task per active CPTS, staggered over a minute."""
    return fan_out(send_event_reminders_task, spread_seconds=REMINDER_STAGGER_SECONDS)


@shared_task(base=TenantTask, name="events.expire_holds")
def expire_holds_task(schema_name: str) -> int:
    """Release the seats no longer held: unpaid seats of paid events past their hold, and guests
    who did not confirm their address in time; promote waiting lists. Runs twice, releases once.
    Returns how many were released."""
    return services.expire_holds() + services.release_unconfirmed_guests()


@shared_task(name="events.fan_out_hold_expiry")
def fan_out_hold_expiry_task() -> int:
    """Beat entry (every 5 min): one hold-expiry task per active CPTS."""
    return fan_out(expire_holds_task, spread_seconds=REMINDER_STAGGER_SECONDS)


@shared_task(base=TenantTask, name="events.refund_unseated_payment")
def refund_unseated_payment_task(schema_name: str, payment_id: int) -> str:
    """Refund a payment that arrived for a seat no longer held (credit note e-mailed). Stripe
    unreachable: retried by the base."""
    return "refunded" if services.refund_unseated_payment(payment_id) else "skipped"


@shared_task(base=TenantTask, name="events.refund_cancelled_event")
def refund_cancelled_event_task(schema_name: str, event_id: int) -> int:
    """Refund the paid registrations of a cancelled event. Runs twice, refunds once."""
    return services.refund_cancelled_event(event_id)


@shared_task(base=TenantTask, name="events.send_guest_confirmation")
def send_guest_confirmation_task(schema_name: str, registration_id: int) -> str:
    """E-mail a guest (no account) their registration with its confirmation and cancellation
    links. Runs twice, sends once."""
    return mails.send_guest_confirmation(registration_id)
