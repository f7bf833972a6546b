"""Reads of the current CPTS's events. Every function assumes the connection is set to the CPTS's
schema (request.tenant, or a TenantTask)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.members.models import Membership, hash_token
from apps.members.standing import Refusal, Standing, is_in_good_standing, refusal_for, standing_of
from apps.payments.models import Payment

from .models import CalendarToken, Event, Registration


def with_counts(queryset: QuerySet[Event]) -> QuerySet[Event]:
    """``confirmed_count`` counts seats taken: confirmed, and held for payment on paid events."""
    return queryset.annotate(
        confirmed_count=Count("registrations", filter=Q(registrations__status__in=Registration.SEATED)),
        waitlist_count=Count("registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)),
    )


def list_upcoming_public_events(limit: int = 5) -> list[Event]:
    """Published public events not yet over, soonest first, at most ``limit``.

    For the CPTS's public site (issue 5): safe to show to anyone, no members-only event ever
    appears. Each event carries ``confirmed_count`` and ``waitlist_count``.
    """
    now = timezone.now()
    queryset = Event.objects.filter(
        status=Event.Status.PUBLISHED, visibility=Event.Visibility.PUBLIC, ends_at__gte=now
    ).order_by("starts_at", "pk")
    return list(with_counts(queryset)[: max(0, int(limit))])


def visible_events(membership) -> QuerySet[Event]:
    """Events a visitor may see: public ones for everyone, members-only ones for members à jour
    (apps.members.standing), drafts for the team only."""
    queryset = Event.objects.all()
    is_member = is_in_good_standing(membership)
    is_team = membership is not None and membership.has_role("team")
    if not is_member:
        queryset = queryset.filter(visibility=Event.Visibility.PUBLIC)
    if not is_team:
        queryset = queryset.exclude(status=Event.Status.DRAFT)
    return queryset


def list_events(membership, *, upcoming: bool = True) -> QuerySet[Event]:
    now = timezone.now()
    queryset = visible_events(membership)
    if upcoming:
        queryset = queryset.filter(ends_at__gte=now).order_by("starts_at", "pk")
    else:
        queryset = queryset.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    return with_counts(queryset)


def get_event_for(membership, event_id: int) -> Event | None:
    """The event if ``membership`` (None for visitors and outsiders) may see it, else None."""
    return with_counts(visible_events(membership)).filter(pk=event_id).first()


def members_only_refusal(membership, event_id: int) -> Refusal | None:
    """Why ``membership`` (a candidate or lapsed member) may not see ``event_id``, when it is a
    published members-only event it would see once à jour; None otherwise (visitors, outsiders,
    members à jour, drafts and unknown ids stay 404)."""
    if standing_of(membership) in (None, Standing.GOOD):
        return None
    exists = (
        Event.objects.filter(pk=event_id, visibility=Event.Visibility.MEMBERS)
        .exclude(status=Event.Status.DRAFT)
        .exists()
    )
    return refusal_for(membership) if exists else None


def get_registration(event: Event, user) -> Registration | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Registration.objects.filter(event=event, user_id=user.pk).first()


def list_registrations(event: Event) -> QuerySet[Registration]:
    """Registrations of ``event`` with their card payments (``payments``, newest first)."""
    return (
        Registration.objects.filter(event=event)
        .select_related("user")
        .prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("-created_at", "-pk")))
        .order_by("status", "queued_at", "pk")
    )


def payment_label(registration: Registration) -> str:
    """Payment status of a registration for the team's list and export ("" on a free event), with
    the part refunded on Stripe and a chargeback if any."""
    payments = list(registration.payments.all())
    for status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
        paid = next((p for p in payments if p.status == status), None)
        if paid is not None:
            amount = f"{paid.amount:.2f}".replace(".", ",")
            label = (
                _("Payé %(amount)s €") if status == Payment.Status.SUCCEEDED else _("Remboursé %(amount)s €")
            ) % {"amount": amount}
            if paid.partly_refunded:  # part refunded from the CPTS's Stripe dashboard: the seat is kept
                refunded = f"{paid.amount_refunded:.2f}".replace(".", ",")
                label += _(", dont %(refunded)s € remboursé") % {"refunded": refunded}
            if paid.dispute_label:
                label = f"{label} — {paid.dispute_label}"
            return label
    if registration.status == Registration.Status.PENDING:
        return _("En attente de paiement")
    if payments and payments[0].status == Payment.Status.FAILED:
        return _("Paiement échoué")
    return ""


def access_registration_payment(user, payment_id: int):
    """A card payment of ``user``'s own event registration in this CPTS, else 404."""
    payment = (
        Payment.objects.select_related("registration__event")
        .filter(pk=payment_id, registration__isnull=False)
        .first()
    )
    if (
        payment is None
        or not getattr(user, "is_authenticated", False)
        or payment.registration.user_id != user.pk
    ):
        raise Http404
    return payment


def list_feed_events() -> QuerySet[Event]:
    """Public, published events for the CPTS's iCal feed (past 90 days and the future)."""
    since = timezone.now() - timedelta(days=90)
    return Event.objects.filter(
        visibility=Event.Visibility.PUBLIC,
        status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED],
        ends_at__gte=since,
    ).order_by("starts_at", "pk")


def count_events_held(start: datetime, end: datetime) -> int:
    """Published events that ended within [start, end) and before now (for indicators)."""
    return Event.objects.filter(
        status=Event.Status.PUBLISHED, ends_at__gte=start, ends_at__lt=min(end, timezone.now())
    ).count()


def count_event_attendees(start: datetime, end: datetime) -> int:
    """Registrations marked present at events that ended within [start, end)."""
    return Registration.objects.filter(
        attended=True,
        event__status=Event.Status.PUBLISHED,
        event__ends_at__gte=start,
        event__ends_at__lt=end,
    ).count()


def list_due_reminders(now: datetime | None = None) -> QuerySet[Registration]:
    """Confirmed registrations whose event starts within its reminder window and not reminded yet."""
    now = now or timezone.now()
    return (
        Registration.objects.filter(
            status=Registration.Status.CONFIRMED,
            reminder_sent_at__isnull=True,
            event__status=Event.Status.PUBLISHED,
            event__starts_at__gt=now,
            event__reminder_hours_before__gt=0,
        )
        .annotate(
            remind_from=ExpressionWrapper(
                F("event__starts_at")
                - ExpressionWrapper(
                    F("event__reminder_hours_before") * Value(timedelta(hours=1)),
                    output_field=DurationField(),
                ),
                output_field=DateTimeField(),
            )
        )
        .filter(remind_from__lte=now)
        .select_related("event")
    )


def get_member_by_calendar_token(token: str):
    """The active membership holding ``token`` (personal iCal feed), or None."""
    row = CalendarToken.objects.filter(token_hash=hash_token(token)).first()
    if row is None:
        return None
    return Membership.objects.filter(user_id=row.user_id, is_active=True).select_related("user").first()


def list_member_feed_events(membership) -> QuerySet[Event]:
    """Published or cancelled events a member may see (members-only included), past 90 days onward."""
    since = timezone.now() - timedelta(days=90)
    return (
        visible_events(membership)
        .filter(status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED], ends_at__gte=since)
        .order_by("starts_at", "pk")
    )


def list_paid_registrations_of(user) -> QuerySet[Registration]:
    """``user``'s registrations that involve a card payment here, newest event first, with their
    payments and receipts (member space)."""
    return (
        Registration.objects.filter(user_id=user.pk, payments__isnull=False)
        .distinct()
        .select_related("event")
        .prefetch_related(
            Prefetch("payments", queryset=Payment.objects.order_by("created_at").prefetch_related("receipts"))
        )
        .order_by("-event__starts_at", "-pk")
    )
