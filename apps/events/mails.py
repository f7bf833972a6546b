"""The e-mails of events: promotion from the waiting list, an unpaid hold released, cancellation,
reminders. Called by the workers (thin tasks). Each registration is locked, told through the
notification service (apps.notifications: preferences, in-app list, then the one mail path), then
stamped in one transaction: a task run twice tells once.

Mail keys carry the registration's ``queued_at``: someone who cancels and registers again is a new
registration for the e-mails (its stamps are cleared by ``services.register``), told again."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.mailing import mail
from apps.notifications.service import Delivery, notify

from .models import Event, Registration
from .selectors import list_due_reminders

GUEST_LINK_SALT = "events.guest-link"
GUEST_ACTIONS = {"confirm": "events:guest_confirm", "cancel": "events:guest_cancel"}


def event_url(community, event: Event) -> str:
    return f"{community.primary_url()}evenements/{event.pk}/"


def guest_token(registration: Registration, action: str) -> str:
    """A signed token for a guest's ``action`` ("confirm" or "cancel") on ``registration``.

    It names the CPTS's schema (a token of CPTS A does nothing on B's host) and the registration's
    ``queued_at``: once the guest cancels and registers again, the old links are dead."""
    return signing.dumps(
        {
            "s": connection.schema_name,
            "r": registration.pk,
            "q": registration.queued_at.timestamp(),
            "a": action,
        },
        salt=GUEST_LINK_SALT,
    )


def registration_from_token(token: str, action: str) -> Registration | None:
    """The guest registration ``token`` was issued for in this CPTS, for ``action``; None when the
    token is forged, of another CPTS or action, or of an earlier registration of that guest."""
    try:
        data = signing.loads(token, salt=GUEST_LINK_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != connection.schema_name or data.get("a") != action:
        return None
    registration = (
        Registration.objects.select_related("event").filter(pk=data.get("r"), user__isnull=True).first()
    )
    if registration is None or registration.queued_at.timestamp() != data.get("q"):
        return None
    return registration


def guest_links(registration: Registration) -> dict[str, str]:
    """The paths of a guest's links (confirm, cancel), without the host."""
    return {
        action: reverse(route, args=[guest_token(registration, action)])
        for action, route in GUEST_ACTIONS.items()
    }


def _guest_urls(community, registration: Registration) -> dict[str, str]:
    base = community.primary_url().rstrip("/")
    return {f"{action}_url": base + path for action, path in guest_links(registration).items()}


def _tell(
    registration: Registration, *, kind: str, stamp: str, subject: str, template: str, context: dict, url: str
) -> bool:
    """Notify the registrant (locked by the caller) through the notification service, then stamp
    ``stamp`` on the registration. True when an e-mail left now; False when another worker is
    sending this very mail (it stamps), or the person chose the digest or nothing for this kind.

    A guest (no account) has no preferences nor in-app list: the mail goes straight through the
    one mail path, with their own cancellation link in place of the event page."""
    key = f"events.{stamp}:{registration.pk}:{registration.queued_at.timestamp()}"
    context = {"person": registration, **context}
    if registration.is_guest:
        links = _guest_urls(mail.current_community(), registration)
        outcome = mail.send(
            key=key,
            to=registration.guest_email,
            subject=subject,
            template=template,
            context={**context, **links, "url": links["cancel_url"], "guest": True},
            kind=kind,
        )
        if not outcome.done:
            return False
        setattr(registration, stamp, timezone.now())
        registration.save(update_fields=[stamp])
        return outcome is mail.Outcome.SENT
    delivery = notify(
        user=registration.user,
        kind=kind,
        key=key,
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
    community = mail.current_community()
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
    community = mail.current_community()
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
    community = mail.current_community()
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
    community = mail.current_community()
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


def send_guest_confirmation(registration_id: int) -> str:
    """E-mail a guest (no account) their registration — confirmed or on the waiting list — with
    the link confirming their address and the link cancelling it. Runs twice, sends once (key per
    registration and ``queued_at``). Returns "sent" or "skipped"."""
    community = mail.current_community()
    registration = (
        Registration.objects.select_related("event")
        .filter(pk=registration_id, user__isnull=True)
        .exclude(status__in=[Registration.Status.CANCELLED, Registration.Status.EXPIRED])
        .first()
    )
    if registration is None:
        return "skipped"
    event = registration.event
    waiting = registration.status == Registration.Status.WAITLISTED
    subject = (_("Liste d'attente : %(title)s") if waiting else _("Inscription confirmée : %(title)s")) % {
        "title": event.title
    }
    outcome = mail.send(
        key=f"events.guest_confirmation:{registration.pk}:{registration.queued_at.timestamp()}",
        to=registration.guest_email,
        subject=subject,
        template="events/email/guest_registered",
        context={
            "person": registration,
            "event": event,
            "registration": registration,
            "waiting": waiting,
            "url": event_url(community, event),
            "confirm_within_hours": int(settings.EVENTS_GUEST_CONFIRMATION_DELAY.total_seconds() // 3600),
            **_guest_urls(community, registration),
        },
        kind="events.guest_confirmation",
    )
    return "sent" if outcome is mail.Outcome.SENT else "skipped"
