"""Writes on the current CPTS's events. Assumes the connection is set to the CPTS's schema.

Capacity is enforced by locking the event row (``select_for_update``) for every change of a
registration's status: concurrent registrations to one event queue up on that lock, so the count
of confirmed places read inside the transaction is exact and the event cannot be overbooked.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.members.selectors import get_membership

from .models import Event, Registration

EVENT_FIELDS = (
    "title",
    "kind",
    "description",
    "location",
    "starts_at",
    "ends_at",
    "visibility",
    "status",
    "capacity",
    "registration_open",
    "reminder_hours_before",
)


def _require_team(actor) -> None:
    membership = get_membership(actor)
    if membership is None:
        raise PermissionDenied(_("Vous n'êtes pas membre de cette CPTS."))
    if not membership.has_role("team"):
        raise PermissionDenied(_("Cette action est réservée à l'équipe de la CPTS."))


def _check_dates(data: dict) -> None:
    if data.get("starts_at") and data.get("ends_at") and data["ends_at"] < data["starts_at"]:
        raise ValidationError({"ends_at": _("La fin doit être postérieure au début.")})


def create_event(*, actor, data: dict) -> Event:
    """Create an event from cleaned ``data`` (keys of EVENT_FIELDS). Team only."""
    _require_team(actor)
    _check_dates(data)
    with transaction.atomic():
        return Event.objects.create(created_by=actor, **{k: v for k, v in data.items() if k in EVENT_FIELDS})


def update_event(*, actor, event: Event, data: dict) -> Event:
    """Change an event. Raising the capacity promotes people from the waiting list; cancelling a
    published event e-mails everyone registered or waiting (after commit)."""
    from workers.events import send_cancellation_notices_task

    _require_team(actor)
    _check_dates(data)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        was_published = locked.status == Event.Status.PUBLISHED
        for field, value in data.items():
            if field in EVENT_FIELDS:
                setattr(locked, field, value)
        confirmed = Registration.objects.filter(event=locked, status=Registration.Status.CONFIRMED).count()
        if locked.capacity is not None and locked.capacity < confirmed:
            raise ValidationError(
                {
                    "capacity": _(
                        "%(count)d personnes sont déjà inscrites : la capacité ne peut pas être inférieure."
                    )
                    % {"count": confirmed}
                }
            )
        locked.save()
        if locked.status == Event.Status.PUBLISHED:
            _promote_waitlisted(locked)
        elif locked.status == Event.Status.CANCELLED and was_published and not locked.is_past:
            send_cancellation_notices_task.delay_on_commit(connection.schema_name, locked.pk)
    return locked


def register(*, actor, event: Event) -> Registration:
    """Register ``actor`` to ``event``: a confirmed place if one is left, else the waiting list.

    Registering again while registered returns the existing registration. Members-only events
    need a membership here. Raises ValidationError when registrations are closed.
    """
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Connectez-vous pour vous inscrire."))
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if not locked.is_public and get_membership(actor) is None:
            raise PermissionDenied(_("Cet événement est réservé aux membres."))
        if not locked.accepts_registrations:
            raise ValidationError(_("Les inscriptions à cet événement sont closes."))
        registration = Registration.objects.filter(event=locked, user_id=actor.pk).first()
        if registration is not None and registration.status != Registration.Status.CANCELLED:
            return registration
        confirmed = Registration.objects.filter(event=locked, status=Registration.Status.CONFIRMED).count()
        has_room = locked.capacity is None or confirmed < locked.capacity
        status = Registration.Status.CONFIRMED if has_room else Registration.Status.WAITLISTED
        now = timezone.now()
        if registration is None:
            registration = Registration.objects.create(
                event=locked, user=actor, status=status, created_at=now, queued_at=now
            )
        else:
            registration.status = status
            registration.queued_at = now
            registration.cancelled_at = None
            registration.promoted_at = None
            registration.reminder_sent_at = None
            registration.promotion_notified_at = None
            registration.save()
    return registration


def cancel_registration(*, actor, registration: Registration) -> Registration | None:
    """Cancel a registration (its holder or the team). A freed place goes to the first person on
    the waiting list, who is told by e-mail. Returns the promoted registration, if any."""
    if registration.user_id != actor.pk:
        _require_team(actor)
    with transaction.atomic():
        locked_event = Event.objects.select_for_update().get(pk=registration.event_id)
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.status == Registration.Status.CANCELLED:
            return None
        was_confirmed = locked.status == Registration.Status.CONFIRMED
        locked.status = Registration.Status.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["status", "cancelled_at"])
        registration.status, registration.cancelled_at = locked.status, locked.cancelled_at
        promoted = _promote_waitlisted(locked_event) if was_confirmed else []
    return promoted[0] if promoted else None


def _promote_waitlisted(locked_event: Event) -> list[Registration]:
    """Fill free places from the waiting list, first come first served. Caller holds the event lock."""
    from workers.events import send_promotion_notice_task

    if locked_event.is_past:
        return []
    confirmed = Registration.objects.filter(event=locked_event, status=Registration.Status.CONFIRMED).count()
    free = None if locked_event.capacity is None else max(0, locked_event.capacity - confirmed)
    waiting = Registration.objects.filter(event=locked_event, status=Registration.Status.WAITLISTED).order_by(
        "queued_at", "pk"
    )
    if free is not None:
        waiting = waiting[:free]
    promoted = list(waiting)
    now = timezone.now()
    for registration in promoted:
        registration.status = Registration.Status.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at"])
        send_promotion_notice_task.delay_on_commit(connection.schema_name, registration.pk)
    return promoted


def record_attendance(*, actor, event: Event, present_user_ids: set[int]) -> int:
    """Mark who came to ``event`` (confirmed registrations only). Returns how many were present."""
    _require_team(actor)
    with transaction.atomic():
        confirmed = Registration.objects.select_for_update().filter(
            event=event, status=Registration.Status.CONFIRMED
        )
        present = 0
        for registration in confirmed:
            registration.attended = registration.user_id in present_user_ids
            present += int(registration.attended)
            registration.save(update_fields=["attended"])
    return present


def issue_calendar_token(*, actor) -> str:
    """A new secret token for ``actor``'s personal feed (the previous one stops working).
    Members only. Returns the token; only its hash is kept."""
    from apps.members.models import hash_token

    from .models import CalendarToken

    if get_membership(actor) is None:
        raise PermissionDenied(_("Vous n'êtes pas membre de cette CPTS."))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarToken.objects.update_or_create(
            user_id=actor.pk, defaults={"token_hash": hash_token(token), "created_at": timezone.now()}
        )
    return token
