"""The soins-non-programmés roster of a CPTS: when and where its professionals see patients the same
day or the next (« créneaux SNP ») or are on call, so the team sees gaps per commune and day and the
public sees today's points. No patient data here."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

WEEKDAYS = [
    (0, _("lundi")),
    (1, _("mardi")),
    (2, _("mercredi")),
    (3, _("jeudi")),
    (4, _("vendredi")),
    (5, _("samedi")),
    (6, _("dimanche")),
]


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class Slot(models.Model):
    """A period a professional offers: every week on ``weekday`` between ``valid_from`` and
    ``valid_until`` (recurring), or once on ``date``."""

    class Kind(models.TextChoices):
        SNP = "snp", _("Créneau de soins non programmés")
        ON_CALL = "on_call", _("Garde ou astreinte")

    class Place(models.TextChoices):
        PRACTICE = "practice", _("Au cabinet")
        SHARED = "shared", _("Sur un site partagé")

    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("professionnel")
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.SNP)
    place = models.CharField(_("lieu"), max_length=10, choices=Place.choices, default=Place.PRACTICE)
    place_name = models.CharField(_("nom du lieu"), max_length=120)
    address = models.CharField(_("adresse"), max_length=200)
    # The reference lives in the public schema and the template schema is cloned: no constraint,
    # as for the territory's communes.
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        verbose_name=_("commune"),
    )  # fmt: skip
    phone = models.CharField(_("téléphone pour prendre rendez-vous"), max_length=20)
    instructions = models.CharField(_("comment venir"), max_length=200, blank=True)
    weekday = models.PositiveSmallIntegerField(
        _("jour de la semaine"), choices=WEEKDAYS, null=True, blank=True
    )
    date = models.DateField(_("date"), null=True, blank=True)
    starts_at = models.TimeField(_("de"))
    ends_at = models.TimeField(_("à"))
    valid_from = models.DateField(_("à partir du"), default=timezone.localdate)
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        ordering = ["weekday", "date", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(weekday__isnull=False) & Q(date__isnull=True))
                | (Q(weekday__isnull=True) & Q(date__isnull=False)),
                name="roster_slot_weekly_or_once",
                violation_error_message=_("Choisissez un jour de la semaine ou une date."),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="roster_slot_ends_after",
                violation_error_message=_("L'heure de fin doit suivre l'heure de début."),
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="roster_slot_weekday_range"),
        ]
        indexes = [models.Index(fields=["date"]), models.Index(fields=["weekday", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.place_name} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    @property
    def recurring(self) -> bool:
        return self.weekday is not None


class RosterProfile(models.Model):
    """A professional's roster settings in this CPTS: whether the team may ask them to fill a gap,
    and the secret token of their calendar feed."""

    professional = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    accepts_gap_requests = models.BooleanField(_("me solliciter pour combler un manque"), default=False)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)

    def __str__(self) -> str:
        return f"roster profile of {self.professional_id}"


class GapRequest(models.Model):
    """The team asked the professionals who accept it to cover ``day`` in ``commune``."""

    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    day = models.DateField()
    message = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "day"], name="roster_gap_request_once")]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.day}"


class GapRequestRecipient(models.Model):
    """One e-mail of a gap request: claimed and stamped, so a retried task never sends it twice."""

    request = models.ForeignKey(GapRequest, on_delete=models.CASCADE, related_name="recipients")
    professional = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "professional"], name="roster_gap_recipient_once")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.professional_id}"
