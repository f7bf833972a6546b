"""Writes on the current CPTS's events. Assumes the connection is set to the CPTS's schema.

Capacity is enforced by locking the event row (``select_for_update``) for every change of a
registration's status: concurrent registrations to one event queue up on that lock, so the count
of seats taken read inside the transaction is exact and the event cannot be overbooked.

Paid events (``price`` > 0, docs/payments.md): a registration with room gets a seat *held*
(``pending``, counted against capacity) until ``hold_expires_at``; the card payment goes through
the card payment path (``apps.payments.card``) and only the webhook or the reconciliation confirms
the seat (``seat_paid_registration``). Unpaid holds are released lazily (next registration to the
event; not a hold with a card attempt open) and by a periodic task (``expire_holds``, which asks
Stripe first), and the waiting list is promoted — on a paid event the promoted person gets a
held seat and an e-mail with a link to pay.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.members.models import Role, hash_token
from apps.members.permissions import require_role
from apps.members.selectors import get_membership
from apps.members.standing import is_in_good_standing
from apps.payments import card, settlement
from apps.payments import services as payment_services
from apps.payments.models import Payment, below_card_minimum
from apps.payments.receipts import PARIS
from apps.richtext import finish_html
from apps.stripe_gateway.client import StripeUnavailable
from apps.stripe_gateway.connect import card_payments_available
from tenants.queue import enqueue_on_commit
from tenants.selectors import current_community

from .models import CalendarToken, Event, Registration

logger = logging.getLogger(__name__)

# A hold running out while its payment is in flight (3-D Secure asked, or processing) is kept
# this much longer by the sweep (see ``expire_holds``).
IN_FLIGHT_GRACE = timedelta(minutes=10)
IN_FLIGHT_STATUSES = ("requires_action", "processing")

# Guest registrations (no account): at most this many per visitor address and window, per CPTS.
GUEST_RATE_LIMIT = 5
GUEST_RATE_WINDOW = 60 * 10

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
    "price",
    "registration_open",
    "reminder_hours_before",
)


def _sanitized(data: dict) -> dict:
    """The description is rich text: only the allowed HTML is kept, uploaded images get their
    renditions (apps.richtext.finish_html)."""
    if "description" in data:
        return {**data, "description": finish_html(data["description"])}
    return data


def _check_dates(data: dict) -> None:
    if data.get("starts_at") and data.get("ends_at") and data["ends_at"] < data["starts_at"]:
        raise ValidationError({"ends_at": _("La fin doit être postérieure au début.")})


def card_payments_open() -> bool:
    """Whether this CPTS can take card payments (its Stripe account connected)."""
    return card_payments_available(current_community())


def _check_price(data: dict, locked: Event | None) -> None:
    """A price is zero or at least Stripe's card minimum (0,50 €); a paid price needs the CPTS's Stripe account; the price of an
    event with seats taken or held cannot change (people registered at the old price)."""
    price = data.get("price")
    if price is None or (locked is not None and price == locked.price):
        return
    if price < 0:
        raise ValidationError({"price": _("Le tarif doit être positif ou nul.")})
    if below_card_minimum(price):
        # Stripe refuses smaller card charges: such an event would hold seats nobody can pay.
        raise ValidationError(
            {
                "price": _(
                    "Indiquez 0 € pour un événement gratuit, ou au moins 0,50 € (minimum d'un paiement "
                    "par carte)."
                )
            }
        )
    if (
        price > 0
        and locked is not None
        and Registration.objects.filter(event=locked, user__isnull=True)
        .exclude(status__in=[Registration.Status.CANCELLED, Registration.Status.EXPIRED])
        .exists()
    ):
        raise ValidationError(
            {
                "price": _(
                    "Des invités sans compte sont inscrits ou en liste d'attente : cet événement doit "
                    "rester gratuit (le paiement en ligne demande un compte)."
                )
            }
        )
    if (
        locked is not None
        and Registration.objects.filter(event=locked, status__in=Registration.SEATED).exists()
    ):
        raise ValidationError(
            {
                "price": _(
                    "Le tarif ne peut plus être modifié : des places sont déjà confirmées ou en attente de paiement."
                )
            }
        )
    if price > 0 and not card_payments_open():
        raise ValidationError(
            {
                "price": _(
                    "Un événement payant demande que le compte Stripe de la CPTS soit connecté "
                    "(Cotisations → Réglages). Connectez-le, ou laissez le tarif à 0 pour un événement gratuit."
                )
            }
        )


def _check_not_republishing_refunded(data: dict, locked: Event) -> None:
    """A cancelled event whose paid seats were refunded (or are being) stays cancelled: published
    again, its registrations would be confirmed seats nobody paid for."""

    if (
        locked.status == Event.Status.CANCELLED
        and data.get("status", locked.status) != Event.Status.CANCELLED
        and Payment.objects.filter(
            registration__event=locked, status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED]
        ).exists()
    ):
        raise ValidationError(
            {
                "status": _(
                    "Cet événement payant a été annulé et ses inscriptions remboursées : il ne peut pas "
                    "être republié. Créez un nouvel événement."
                )
            }
        )


def lock_event(event_id: int) -> Event:
    """The event row, locked until the end of the caller's transaction (capacity)."""
    return Event.objects.select_for_update().get(pk=event_id)


def lock_for_payment(payment_id: int) -> bool:
    """The event row of the seat ``payment_id`` pays, locked (the payable's
    ``lock_before_payment`` hook: the event first, as every registration change). False when the
    payment pays no seat."""
    event_id = Payment.objects.filter(pk=payment_id).values_list("registration__event_id", flat=True).first()
    if event_id is None:
        return False
    lock_event(event_id)
    return True


def registration_refusal(registration: Registration) -> str:
    """Why a card payment for this registration cannot go on now ("" when it can)."""
    if registration.status == Registration.Status.CONFIRMED:
        return _("Votre inscription est déjà confirmée.")
    if registration.status != Registration.Status.PENDING:
        return _("Aucune place n'est réservée à votre nom pour cet événement.")
    if registration.hold_expires_at is not None and registration.hold_expires_at <= timezone.now():
        return _("Votre réservation a expiré : inscrivez-vous à nouveau.")
    return ""


def lock_registration_for_card(registration: Registration) -> tuple[Registration, Decimal]:
    """The registration read again and locked for a card attempt, with the seat's price."""
    locked = (
        Registration.objects.select_for_update(of=("self",)).select_related("event").get(pk=registration.pk)
    )
    return locked, locked.event.price


def registration_payer_id(registration: Registration) -> int:
    return registration.user_id


def registration_refusal_to_confirm(payment) -> str:
    """Why the seat's pending card attempt ``payment`` must not be confirmed now: the hold is
    over, or the event's price changed since the attempt was opened ("" when it may)."""
    registration = Registration.objects.select_related("event").get(pk=payment.registration_id)
    refusal = registration_refusal(registration)
    if not refusal and payment.amount != registration.event.price:
        refusal = _("Le tarif de cet événement a changé : rechargez la page pour payer le bon montant.")
    return refusal


def registration_payment_metadata(registration: Registration) -> dict:
    return {"registration": str(registration.pk), "event": str(registration.event_id)}


def seat_price(payment) -> Decimal:
    """What the seat ``payment`` pays costs now (the event row is locked by ``lock_for_payment``)."""
    return Event.objects.values_list("price", flat=True).get(registrations__pk=payment.registration_id)


def seat_receipt_content(payment) -> dict:
    event = payment.registration.event
    starts = timezone.localtime(event.starts_at, PARIS)
    return {
        "payable": "event",
        "document": "Reçu de paiement",
        "object": f"Inscription : {event.title}",
        "period": f"le {starts.strftime('%d/%m/%Y à %Hh%M')}",
        "year": starts.year,
        "tier": event.title,
        "event_id": event.pk,
    }


def _seats_taken(locked_event: Event) -> int:
    return Registration.objects.filter(event=locked_event, status__in=Registration.SEATED).count()


def create_event(*, actor, data: dict) -> Event:
    """Create an event from cleaned ``data`` (keys of EVENT_FIELDS). Team only."""
    require_role(actor, Role.TEAM)
    data = _sanitized(data)
    _check_dates(data)
    _check_price(data, None)
    with transaction.atomic():
        return Event.objects.create(created_by=actor, **{k: v for k, v in data.items() if k in EVENT_FIELDS})


def update_event(*, actor, event: Event, data: dict) -> Event:
    """Change an event. Raising the capacity promotes people from the waiting list; cancelling a
    published event e-mails everyone registered or waiting (after commit)."""
    require_role(actor, Role.TEAM)
    data = _sanitized(data)
    _check_dates(data)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        _check_price(data, locked)
        _check_not_republishing_refunded(data, locked)
        was_published = locked.status == Event.Status.PUBLISHED
        for field, value in data.items():
            if field in EVENT_FIELDS:
                setattr(locked, field, value)
        confirmed = _seats_taken(locked)
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
            enqueue_on_commit("events.send_cancellation_notices", connection.schema_name, locked.pk)
        if locked.status == Event.Status.CANCELLED and was_published:
            # Paid registrations of a cancelled event are refunded (a no-op for a free event).
            enqueue_on_commit("events.refund_cancelled_event", connection.schema_name, locked.pk)
    return locked


def register(*, actor, event: Event) -> Registration:
    """Register ``actor`` to ``event``: a seat if one is left (confirmed on a free event, held
    for payment on a paid one), else the waiting list.

    Registering again while registered returns the existing registration. Members-only events
    need a member à jour here. Raises ValidationError when registrations are closed, or when a paid
    event cannot take card payments now.
    """
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Connectez-vous pour vous inscrire."))
    with transaction.atomic():
        locked = lock_event(event.pk)
        if not locked.is_public and not is_in_good_standing(get_membership(actor)):
            raise PermissionDenied(_("Cet événement est réservé aux membres à jour de leur cotisation."))
        if not locked.accepts_registrations:
            raise ValidationError(_("Les inscriptions à cet événement sont closes."))
        if locked.is_paid and not card_payments_open():
            raise ValidationError(
                _(
                    "Le paiement en ligne de cet événement n'est pas disponible pour le moment : "
                    "contactez l'équipe de la CPTS."
                )
            )
        now = timezone.now()
        if locked.is_paid and _release_expired_holds(locked, now, actor=actor):  # paid events only hold
            _promote_waitlisted(locked)
        registration = Registration.objects.filter(event=locked, user_id=actor.pk).first()
        if registration is not None and registration.status not in (
            Registration.Status.CANCELLED,
            Registration.Status.EXPIRED,
        ):
            return registration
        has_room = locked.capacity is None or _seats_taken(locked) < locked.capacity
        if not has_room:
            status, hold = Registration.Status.WAITLISTED, None
        elif locked.is_paid:
            status, hold = Registration.Status.PENDING, locked.hold_until(now)
        else:
            status, hold = Registration.Status.CONFIRMED, None
        if registration is None:
            registration = Registration.objects.create(
                event=locked, user=actor, status=status, created_at=now, queued_at=now, hold_expires_at=hold
            )
        else:
            _reopen(registration, status=status, now=now, hold=hold)
    return registration


def _reopen(registration: Registration, *, status: str, now, hold=None) -> None:
    """A cancelled or expired registration taken again: back in the queue at ``now`` with
    ``status``, its past notices and promotion forgotten (they will be sent again if due)."""
    registration.status = status
    registration.queued_at = now
    registration.hold_expires_at = hold
    registration.cancelled_at = None
    registration.promoted_at = None
    registration.reminder_sent_at = None
    registration.promotion_notified_at = None
    registration.hold_expired_notified_at = None
    registration.save()


def guest_refusal(event: Event) -> str:
    """Why a visitor without an account cannot register to ``event`` ("" when they can): guests
    are welcome on free public events only (a card payment needs an account, whose payments,
    receipts and refunds are kept with it)."""
    if not event.is_public:
        return _("Cet événement est réservé aux membres à jour de leur cotisation.")
    if event.is_paid:
        return _(
            "Cet événement est payant : l'inscription et le paiement se font avec un compte. "
            "Connectez-vous ou créez votre compte pour vous inscrire."
        )
    if not event.accepts_registrations:
        return _("Les inscriptions à cet événement sont closes.")
    return ""


def register_guest(*, event: Event, first_name: str, last_name: str, email: str) -> Registration:
    """Register a visitor without an account to a free public event, by name and e-mail: a seat
    if one is left, else the waiting list (the event row locked, as every registration). The same
    address twice is one registration (returned as it is while active). A worker e-mails the
    guest the confirmation with their links (after commit). Raises ValidationError (French)."""
    email = email.strip()
    with transaction.atomic():
        locked = lock_event(event.pk)
        refusal = guest_refusal(locked)
        if refusal:
            raise ValidationError(refusal)
        registration = Registration.objects.filter(
            event=locked, user__isnull=True, guest_email__iexact=email
        ).first()
        if registration is not None and registration.status not in (
            Registration.Status.CANCELLED,
            Registration.Status.EXPIRED,
        ):
            return registration
        now = timezone.now()
        has_room = locked.capacity is None or _seats_taken(locked) < locked.capacity
        status = Registration.Status.CONFIRMED if has_room else Registration.Status.WAITLISTED
        identity = {
            "guest_first_name": first_name.strip(),
            "guest_last_name": last_name.strip(),
            "guest_email": email,
        }
        if registration is None:
            registration = Registration.objects.create(
                event=locked, status=status, created_at=now, queued_at=now, **identity
            )
        else:
            for field, value in identity.items():
                setattr(registration, field, value)
            registration.guest_confirmed_at = None
            _reopen(registration, status=status, now=now)
        enqueue_on_commit("events.send_guest_confirmation", connection.schema_name, registration.pk)
    return registration


def release_unconfirmed_guests(now=None) -> int:
    """Give back the seats (and waiting-list places) of guests who have not confirmed their
    address ``settings.EVENTS_GUEST_CONFIRMATION_DELAY`` after registering, for events not started
    yet: the registration becomes « expirée » and the waiting list moves up. The e-mail told them
    so. Each event's rows are read again under its lock: run twice (or beside a confirmation), it
    releases once and never a guest who confirmed meanwhile. Returns how many were released."""
    now = now or timezone.now()
    stale = Registration.objects.filter(
        user__isnull=True,
        guest_confirmed_at__isnull=True,
        status__in=[Registration.Status.CONFIRMED, Registration.Status.WAITLISTED],
        queued_at__lte=now - settings.EVENTS_GUEST_CONFIRMATION_DELAY,
        event__starts_at__gt=now,
    )
    released = 0
    for event_id in sorted(set(stale.values_list("event_id", flat=True))):
        with transaction.atomic():
            locked_event = lock_event(event_id)
            rows = list(stale.filter(event_id=event_id).select_for_update())
            for registration in rows:
                registration.status = Registration.Status.EXPIRED
                registration.cancelled_at = now
                registration.save(update_fields=["status", "cancelled_at"])
            released += len(rows)
            if rows:
                _promote_waitlisted(locked_event)
    return released


def confirm_guest(registration: Registration) -> bool:
    """Record that the guest opened their confirmation link (the address is theirs). Once:
    returns False when it was already recorded or the registration is no longer active."""
    updated = Registration.objects.filter(
        pk=registration.pk,
        user__isnull=True,
        guest_confirmed_at__isnull=True,
        status__in=[Registration.Status.CONFIRMED, Registration.Status.WAITLISTED],
    ).update(guest_confirmed_at=timezone.now())
    return bool(updated)


def cancel_guest_registration(registration: Registration) -> bool:
    """A guest cancels through their signed link (the link is the authorisation). Frees the seat
    for the waiting list. Returns False when it was already cancelled."""
    if not registration.is_guest:
        raise PermissionDenied
    return _cancel(registration) is not False


def _settle_payments_before_cancelling(actor, registration: Registration) -> None:
    """Before a registration is cancelled: open card attempts are cancelled on Stripe (a seat
    given up must not be paid later) and paid ones refunded (credit note issued by a worker).
    Raises ValidationError (French) if Stripe cannot be reached: the registration is then kept."""
    try:
        for payment in Payment.objects.filter(
            registration=registration, status=Payment.Status.PENDING, stripe_payment_intent_id__isnull=False
        ):
            card.cancel_on_stripe(payment)
        for payment in Payment.objects.filter(registration=registration, status=Payment.Status.SUCCEEDED):
            payment_services.refund_payment(actor=actor, payment=payment)
    except (stripe.StripeError, StripeUnavailable) as error:
        logger.warning("could not settle the payments of registration %s: %s", registration.pk, error)
        raise ValidationError(
            _(
                "Le remboursement n'a pas pu être effectué pour le moment : l'inscription est maintenue, "
                "réessayez dans quelques minutes."
            )
        ) from error


def cancel_registration(*, actor, registration: Registration) -> Registration | None:
    """Cancel a registration (its holder or the team). A paid registration is refunded through
    Stripe first. A freed seat goes to the first person on the waiting list, who is told by
    e-mail. Returns the promoted registration, if any. Its holder may cancel until the event
    starts (ValidationError after: a seat used is not refunded by its holder); the team at any time.
    """
    if registration.user_id is None or registration.user_id != actor.pk:
        require_role(actor, Role.TEAM)
    elif Event.objects.filter(pk=registration.event_id, starts_at__lte=timezone.now()).exists():
        raise ValidationError(
            _(
                "L'événement a commencé : votre inscription ne peut plus être annulée en ligne. "
                "Écrivez à l'équipe de la CPTS si vous n'avez pas pu y assister."
            )
        )
    _settle_payments_before_cancelling(actor, registration)
    promoted = _cancel(registration)
    return promoted or None


def _cancel(registration: Registration) -> Registration | None | bool:
    """Cancel under the event lock and promote the waiting list. Returns the promoted
    registration (or None), False when it was already cancelled."""
    with transaction.atomic():
        locked_event = lock_event(registration.event_id)
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.status == Registration.Status.CANCELLED:
            return False
        held_a_seat = locked.status in Registration.SEATED
        locked.status = Registration.Status.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["status", "cancelled_at"])
        # Paid between the settlement above and this lock (another tab, its webhook): refunded too.
        for payment_id in Payment.objects.filter(
            registration=locked, status=Payment.Status.SUCCEEDED
        ).values_list("pk", flat=True):
            enqueue_on_commit("events.refund_unseated_payment", connection.schema_name, payment_id)
        registration.status, registration.cancelled_at = locked.status, locked.cancelled_at
        promoted = _promote_waitlisted(locked_event) if held_a_seat else []
    return promoted[0] if promoted else None


def _promote_waitlisted(locked_event: Event) -> list[Registration]:
    """Fill free seats from the waiting list, first come first served; on a paid event the seat
    is held for payment. Caller holds the event lock."""
    if locked_event.is_past:
        return []
    free = (
        None if locked_event.capacity is None else max(0, locked_event.capacity - _seats_taken(locked_event))
    )
    waiting = Registration.objects.filter(event=locked_event, status=Registration.Status.WAITLISTED).order_by(
        "queued_at", "pk"
    )
    if free is not None:
        waiting = waiting[:free]
    promoted = list(waiting)
    now = timezone.now()
    for registration in promoted:
        if locked_event.is_paid:
            registration.status = Registration.Status.PENDING
            registration.hold_expires_at = locked_event.hold_until(now, promoted=True)
        else:
            registration.status = Registration.Status.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at", "hold_expires_at"])
        enqueue_on_commit("events.send_promotion_notice", connection.schema_name, registration.pk)
    return promoted


def _release_expired_holds(
    locked_event: Event, now, *, asked_stripe: bool = False, actor=None, keep: set[int] = frozenset()
) -> list[int]:
    """Unpaid held seats past their hold become ``expired``. Caller holds the event lock and
    promotes the waiting list if anything was released. Returns the released ids.

    Unless ``asked_stripe`` (the sweep, which reads open attempts on Stripe first), a hold with a
    card attempt open is kept: it may have been paid, its webhook late. The sweep releases it
    within minutes. ``actor``'s own hold is released all the same (they are registering again).
    ``keep``: ids of holds not to release now."""
    holds = Registration.objects.filter(
        event=locked_event, status=Registration.Status.PENDING, hold_expires_at__lte=now
    ).exclude(pk__in=keep)
    if not asked_stripe:
        open_attempt = Payment.objects.filter(
            registration=OuterRef("pk"), status=Payment.Status.PENDING, stripe_payment_intent_id__isnull=False
        )
        holds = holds.exclude(Q(Exists(open_attempt)) & ~Q(user_id=getattr(actor, "pk", None)))
    expired = list(holds.values_list("pk", flat=True))
    if expired:
        Registration.objects.filter(pk__in=expired).update(status=Registration.Status.EXPIRED)
        for registration_id in expired:
            enqueue_on_commit("events.send_hold_expired_notice", connection.schema_name, registration_id)
    return expired


def expire_holds(now=None) -> int:
    """Release every unpaid hold past its time in this CPTS (promoting waiting lists), then
    cancel on Stripe the open attempts of released seats. A hold with an open attempt is checked
    on Stripe first: paid in time, it is confirmed; in flight (3-D Secure, processing), it is kept
    up to IN_FLIGHT_GRACE after its end; unreadable, it is kept until the next sweep.
    Idempotent. Returns seats released."""
    now = now or timezone.now()
    # Holds running out with an attempt open: ask Stripe first. Paid in time (its webhook late or
    # lost), the seat is confirmed (``seat_paid_registration``) instead of released then refunded.
    in_flight = Payment.objects.filter(
        status=Payment.Status.PENDING,
        stripe_payment_intent_id__isnull=False,
        registration__status=Registration.Status.PENDING,
        registration__hold_expires_at__lte=now,
    ).select_related("registration")
    # Holds kept for now: Stripe could not tell us about their attempt, or the payment is in
    # flight (3-D Secure, processing) and the hold ran out less than IN_FLIGHT_GRACE ago.
    unchecked: set[int] = set()
    for payment in list(in_flight):
        try:
            intent = card.retrieve_intent_with_charge(payment)
            card.sync_payment(payment.pk, intent=intent)
        except (stripe.StripeError, StripeUnavailable) as error:  # one bad call must not stop the sweep
            logger.warning("could not read the PaymentIntent of payment %s: %s", payment.pk, error)
            if not isinstance(error, stripe.InvalidRequestError):  # out of reach, not refused: retry later
                unchecked.add(payment.registration_id)
            continue
        if (
            intent.get("status") in IN_FLIGHT_STATUSES
            and payment.registration.hold_expires_at > now - IN_FLIGHT_GRACE
        ):
            unchecked.add(payment.registration_id)
    event_ids = set(
        Registration.objects.filter(status=Registration.Status.PENDING, hold_expires_at__lte=now).values_list(
            "event_id", flat=True
        )
    )
    released = 0
    for event_id in sorted(event_ids):
        with transaction.atomic():
            locked = lock_event(event_id)
            expired = _release_expired_holds(locked, now, asked_stripe=True, keep=unchecked)
            if expired:
                released += len(expired)
                _promote_waitlisted(locked)
    stale = Payment.objects.filter(
        status=Payment.Status.PENDING,
        stripe_payment_intent_id__isnull=False,
        registration__status__in=[Registration.Status.EXPIRED, Registration.Status.CANCELLED],
    ).select_related("registration")
    for payment in stale:
        try:
            card.cancel_on_stripe(payment)
        except (stripe.StripeError, StripeUnavailable) as error:  # one bad call must not stop the sweep
            logger.warning("could not cancel the PaymentIntent of payment %s: %s", payment.pk, error)
    return released


def seat_paid_registration(payment) -> str:
    """The registration a succeeded payment pays, confirmed. Called by
    ``apps.payments.settlement.mark_payment_succeeded`` inside its transaction, event row locked.

    A held seat is confirmed. A payment that arrives after the hold was released gets the seat
    back if one is free; otherwise (or if the registration was cancelled, the event cancelled, or
    the seat already paid, or the payment is not of the seat's price) a worker refunds it. Returns
    ``confirmed`` or ``refund``.
    """
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("event")
        .get(pk=payment.registration_id)
    )
    event = registration.event
    paid_twice = (
        registration.status == Registration.Status.CONFIRMED
        and Payment.objects.filter(registration=registration, status=Payment.Status.SUCCEEDED)
        .exclude(pk=payment.pk)
        .exists()
    )
    seat_free = event.capacity is None or _seats_taken(event) < event.capacity
    if (
        event.status == Event.Status.CANCELLED
        or paid_twice
        or payment.failure_reason == settlement.AMOUNT_MISMATCH
    ):
        seated = False
    elif registration.status in (Registration.Status.PENDING, Registration.Status.CONFIRMED):
        seated = True
    elif registration.status in (Registration.Status.EXPIRED, Registration.Status.WAITLISTED):
        seated = seat_free
    else:  # cancelled by its holder or the team
        seated = False
    if not seated:
        logger.info("payment %s pays no seat: refunded", payment.pk)
        enqueue_on_commit("events.refund_unseated_payment", connection.schema_name, payment.pk)
        return "refund"
    if registration.status != Registration.Status.CONFIRMED:
        registration.status = Registration.Status.CONFIRMED
        registration.hold_expires_at = None
        registration.save(update_fields=["status", "hold_expires_at"])
    return "confirmed"


def seat_refunded(payment, *, seen_on_stripe: bool) -> bool:
    """A refund of the seat's payment was recorded. Our own refunds cancel the registration
    themselves (``cancel_registration``, ``refund_unseated_payment``); one seen on Stripe
    releases the seat (``release_refunded_seat``)."""
    return release_refunded_seat(payment) if seen_on_stripe else False


def release_refunded_seat(payment) -> bool:
    """After a refund seen on Stripe (e.g. made from the CPTS's dashboard): a confirmed seat of a
    live event left with no paid payment is cancelled and the waiting list promoted. Called by
    ``apps.payments.settlement.mark_payment_refunded`` inside its transaction, event row locked."""

    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("event")
        .get(pk=payment.registration_id)
    )
    if (
        registration.status != Registration.Status.CONFIRMED
        or registration.event.status == Event.Status.CANCELLED
        or Payment.objects.filter(registration=registration, status=Payment.Status.SUCCEEDED).exists()
    ):
        return False
    logger.info(
        "payment %s refunded outside the platform: seat of registration %s released",
        payment.pk,
        registration.pk,
    )
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    _promote_waitlisted(registration.event)
    return True


def refund_unseated_payment(payment_id: int) -> bool:
    """Refund a succeeded payment that pays no seat (see ``seat_paid_registration``). Idempotent:
    the Stripe refund carries an idempotency key and a refunded payment is left alone."""
    found = Payment.objects.filter(pk=payment_id).values_list("registration__event_id", flat=True).first()
    if found is None:
        return False
    # Decided and done under the event's lock (the order of every registration change): two tasks
    # for the two payments of one seat cannot each see the other as the one that pays it and both
    # refund. The Stripe call is short and carries an idempotency key.
    with transaction.atomic():
        Event.objects.select_for_update().filter(pk=found).first()
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("registration__event")
            .get(pk=payment_id)
        )
        if payment.status != Payment.Status.SUCCEEDED or payment.registration_id is None:
            return False
        registration = payment.registration
        only_payment_of_a_seat = (
            payment.failure_reason != settlement.AMOUNT_MISMATCH
            and registration.status == Registration.Status.CONFIRMED
            and registration.event.status != Event.Status.CANCELLED
            and not Payment.objects.filter(registration=registration, status=Payment.Status.SUCCEEDED)
            .exclude(pk=payment.pk)
            .exists()
        )
        if only_payment_of_a_seat:
            return False  # seated after all (e.g. re-registered): keep it
        card.refund_on_stripe(payment)
        return settlement.mark_payment_refunded(payment.pk)


def refund_cancelled_event(event_id: int) -> int:
    """Refund every paid registration of a cancelled event and cancel open attempts. Idempotent.
    Returns how many payments were refunded by this call."""
    if not Event.objects.filter(pk=event_id, status=Event.Status.CANCELLED).exists():
        return 0
    refused = (stripe.InvalidRequestError, stripe.PermissionError, stripe.AuthenticationError)
    for payment in Payment.objects.filter(
        registration__event_id=event_id, status=Payment.Status.PENDING, stripe_payment_intent_id__isnull=False
    ).order_by("pk"):
        try:
            card.cancel_on_stripe(payment)
        except refused as error:  # one refusal must not stop the others (transient errors: retried)
            logger.error(
                "cancelled event %s: attempt %s not cancelled on Stripe: %s", event_id, payment.pk, error
            )
    refunded = 0
    for payment in Payment.objects.filter(
        registration__event_id=event_id, status=Payment.Status.SUCCEEDED
    ).order_by("pk"):
        try:
            card.refund_on_stripe(payment)
        except refused as error:  # left for the team (still « Payé » in the list of the event)
            logger.error(
                "cancelled event %s: payment %s not refunded, Stripe refused: %s", event_id, payment.pk, error
            )
            continue
        refunded += int(settlement.mark_payment_refunded(payment.pk))
    return refunded


def record_attendance(*, actor, event: Event, present: set[str]) -> int:
    """Mark who came to ``event`` (confirmed registrations only); ``present`` holds their
    ``attendance_key`` (accounts and guests). Returns how many were present."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        confirmed = Registration.objects.select_for_update().filter(
            event=event, status=Registration.Status.CONFIRMED
        )
        count = 0
        for registration in confirmed:
            registration.attended = registration.attendance_key in present
            count += int(registration.attended)
            registration.save(update_fields=["attended"])
    return count


def issue_calendar_token(*, actor) -> str:
    """A new secret token for ``actor``'s personal feed (the previous one stops working).
    Members only. Returns the token; only its hash is kept."""
    require_role(actor, Role.MEMBER)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarToken.objects.update_or_create(
            user_id=actor.pk, defaults={"token_hash": hash_token(token), "created_at": timezone.now()}
        )
    return token
