"""Events of a CPTS (evenings, trainings, assises) and registrations to them. Tenant tables."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A seat of a paid event is held this long for the payment (then released to the waiting list).
PAYMENT_HOLD = timedelta(minutes=30)
# Someone promoted from the waiting list of a paid event learns it by e-mail: a longer hold.
PROMOTION_HOLD = timedelta(hours=24)


class Event(models.Model):
    class Kind(models.TextChoices):
        EVENING = "evening", _("Soirée conviviale")
        TRAINING = "training", _("Formation")
        ASSISES = "assises", _("Assises")
        MEETING = "meeting", _("Réunion d'information")
        OTHER = "other", _("Autre")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        MEMBERS = "members", _("Réservé aux membres")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publié")
        CANCELLED = "cancelled", _("Annulé")

    title = models.CharField(_("titre"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.EVENING)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("lieu"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    capacity = models.PositiveIntegerField(
        _("nombre de places"), null=True, blank=True, help_text=_("Laisser vide pour un nombre illimité.")
    )
    price = models.DecimalField(
        _("tarif (€)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"), message=_("Le tarif doit être positif ou nul."))],
        help_text=_(
            "0 pour un événement gratuit. Payant : réglé par carte en ligne (compte Stripe de la CPTS)."
        ),
    )
    registration_open = models.BooleanField(_("inscriptions ouvertes"), default=True)
    reminder_hours_before = models.PositiveSmallIntegerField(
        _("rappel (heures avant)"), default=24, help_text=_("0 pour ne pas envoyer de rappel.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["status", "visibility", "starts_at"], name="events_event_listing")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="events_event_ends_after"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="events_event_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def is_past(self) -> bool:
        return self.ends_at < timezone.now()

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def is_paid(self) -> bool:
        return self.price > 0

    def hold_until(self, now, *, promoted: bool = False):
        """When an unpaid seat held from ``now`` is released: never after the event starts (or,
        once it has started, after it ends)."""
        delay = PROMOTION_HOLD if promoted else PAYMENT_HOLD
        return min(now + delay, self.starts_at if self.starts_at > now else self.ends_at)

    @property
    def accepts_registrations(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.registration_open and not self.is_past


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmée")
        # Paid events: a seat held (it counts against capacity) until the payment or the hold's end.
        PENDING = "pending", _("En attente de paiement")
        WAITLISTED = "waitlisted", _("Liste d'attente")
        EXPIRED = "expired", _("Réservation expirée")
        CANCELLED = "cancelled", _("Annulée")

    # Statuses that take a seat.
    SEATED = (Status.CONFIRMED, Status.PENDING)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    # Who: an account (members, and anyone signed in), or a guest without an account (free public
    # events only) known by name and e-mail. Exactly one of the two (CHECK constraint below).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    guest_first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    guest_last_name = models.CharField(_("nom"), max_length=150, blank=True)
    guest_email = models.EmailField(_("adresse e-mail"), blank=True)
    # A guest opened the link of their confirmation e-mail: the address is theirs.
    guest_confirmed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices)
    created_at = models.DateTimeField(_("inscrit le"), default=timezone.now)
    # Waiting-list order: the time the person (re)joined the queue.
    queued_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    hold_expires_at = models.DateTimeField(_("place réservée jusqu'au"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(_("présent"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    promotion_notified_at = models.DateTimeField(null=True, blank=True)
    cancellation_notified_at = models.DateTimeField(null=True, blank=True)
    hold_expired_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="events_registration_once"),
            models.UniqueConstraint(
                "event",
                Lower("guest_email"),
                condition=Q(user__isnull=True),
                name="events_registration_guest_once",
            ),
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(guest_email="") & Q(guest_last_name=""))
                | (Q(user__isnull=True) & ~Q(guest_email="") & ~Q(guest_last_name="")),
                name="events_registration_one_identity",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status", "queued_at"], name="events_registration_queue"),
            models.Index(
                fields=["hold_expires_at"], name="events_registration_holds", condition=Q(status="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} → {self.event} ({self.get_status_display()})"

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def first_name(self) -> str:
        return self.user.first_name if self.user_id else self.guest_first_name

    @property
    def last_name(self) -> str:
        return self.user.last_name if self.user_id else self.guest_last_name

    @property
    def email(self) -> str:
        """Where this registrant is written to: the account's address, or the guest's."""
        return self.user.email if self.user_id else self.guest_email

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email

    @property
    def attendance_key(self) -> str:
        """The value of this registrant in the attendance form: the account's id, or the guest's
        registration id prefixed (both kinds share one list of checkboxes)."""
        return str(self.user_id) if self.user_id else f"invite-{self.pk}"

    @property
    def hold_is_over(self) -> bool:
        """A held seat (paid event) whose time to pay has passed (released by the next sweep)."""
        return self.hold_expires_at is not None and self.hold_expires_at <= timezone.now()


class CalendarToken(models.Model):
    """A member's secret link to a personal iCal feed (members-only events included). Only the
    token's hash is stored; issuing a new one revokes the previous link."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lien d'agenda personnel")

    def __str__(self) -> str:
        return f"agenda {self.user_id}"
