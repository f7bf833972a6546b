"""Tiers, yearly dues, payments and receipts of one CPTS (tables in the CPTS's schema).

A membership (apps.members.Membership) is durable; it gets one ``Dues`` row per civil year
(1 January – 31 December, Europe/Paris), paid by one or more ``Payment`` attempts. Each
successful payment gets one ``Receipt`` numbered without gaps per CPTS and year; a refund adds a
credit note, it never deletes a receipt.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.payments.models import below_card_minimum

DEFAULT_VAT_MENTION = "TVA non applicable, art. 261-7-1° du CGI"


class EligibilityCategory(models.TextChoices):
    LIBERAL = "liberal", _("Professionnel libéral (titulaire)")
    REPLACEMENT = "replacement", _("Professionnel libéral remplaçant")
    SALARIED = "salaried", _("Salarié d'un établissement ou d'une structure médico-sociale ou sociale")
    ASSOCIATION = "association", _("Association du champ sanitaire ou médico-social")


def validate_tier_price(value: Decimal) -> None:
    """A tier is free (0 €: the join is settled at once) or costs at least Stripe's minimum."""
    if below_card_minimum(value):
        raise ValidationError(
            _("Indiquez 0 € pour une formule gratuite, ou au moins 0,50 € (minimum d'un paiement par carte).")
        )


class Tier(models.Model):
    name = models.CharField(_("nom"), max_length=120)
    price = models.DecimalField(
        _("montant TTC (€)"),
        max_digits=8,
        decimal_places=2,
        validators=[validate_tier_price],
        help_text=_("0 € : formule gratuite, l'adhésion est à jour dès l'inscription."),
    )
    description = models.TextField(_("description"), blank=True)
    eligible_categories = models.JSONField(
        _("catégories éligibles"), default=list, blank=True, help_text=_("Vide : toutes les catégories.")
    )
    partner_perks = models.TextField(_("avantages partenaires"), blank=True)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("proposée"), default=True)

    class Meta:
        verbose_name = _("formule d'adhésion")
        verbose_name_plural = _("formules d'adhésion")
        ordering = ["order", "price", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.price} €)"

    def accepts(self, category: str) -> bool:
        return not self.eligible_categories or category in self.eligible_categories


class DuesSettings(models.Model):
    """One row per CPTS (pk=1): what the receipts say and how the year turns."""

    legal_name = models.CharField(_("nom de l'association"), max_length=200, blank=True)
    address = models.TextField(_("adresse du siège"), blank=True)
    legal_identifier = models.CharField(_("SIREN, SIRET ou RNA"), max_length=20, blank=True)
    vat_mention = models.CharField(_("mention TVA"), max_length=200, default=DEFAULT_VAT_MENTION)
    next_year_from_month = models.PositiveSmallIntegerField(
        _("mois de bascule"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("À partir de ce jour, une nouvelle adhésion vaut pour l'année suivante."),
    )
    next_year_from_day = models.PositiveSmallIntegerField(
        _("jour de bascule"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    grace_days = models.PositiveSmallIntegerField(
        _("délai de grâce (jours après le 1er janvier)"),
        default=0,
        validators=[MaxValueValidator(180)],
        help_text=_(
            "Les membres à jour de l'année écoulée le restent jusqu'à ce délai ; ensuite leur cotisation "
            "est échue et les contenus réservés aux membres leur sont fermés jusqu'au renouvellement."
        ),
    )
    platform_fee_percent = models.DecimalField(
        _("commission de la plateforme (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    reminder_offsets = models.JSONField(_("relances (jours autour du 1er janvier)"), default=list, blank=True)

    class Meta:
        verbose_name = _("réglages des cotisations")

    def __str__(self) -> str:
        return str(self.legal_name or self._meta.verbose_name)

    @classmethod
    def load(cls) -> DuesSettings:
        row, _created = cls.objects.get_or_create(pk=1, defaults={"reminder_offsets": [-30, 0, 30]})
        return row


class Dues(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de paiement")
        ACTIVE = "active", _("À jour")
        EXPIRED = "expired", _("Échue")
        REFUNDED = "refunded", _("Remboursée")
        CANCELLED = "cancelled", _("Annulée")

    membership = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, related_name="dues", verbose_name=_("membre")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+", verbose_name=_("formule"))
    amount = models.DecimalField(_("montant (€)"), max_digits=8, decimal_places=2)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cotisation")
        verbose_name_plural = _("cotisations")
        constraints = [models.UniqueConstraint(fields=["membership", "year"], name="dues_one_per_year")]
        indexes = [models.Index(fields=["year", "status"], name="dues_year_status")]

    def __str__(self) -> str:
        return f"{self.year} — {self.membership_id} ({self.status})"


class ReminderCampaign(models.Model):
    """The reminders of one day (offset in days around 1 January of ``year``) for this CPTS, or
    the automatic renewals (card charges) of ``year``.

    Created by the renewal run (one row, whatever the number of members); a worker then walks
    the members in primary-key order (``last_membership_id`` is its cursor) and claims one
    ``Reminder`` row per member before e-mailing, so each member is reminded once.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Relance")
        AUTO_RENEWAL = "autorenew", _("Renouvellement automatique")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REMINDER)
    year = models.PositiveSmallIntegerField()
    offset_days = models.SmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    last_membership_id = models.BigIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "offset_days"], name="reminder_campaign_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} J{self.offset_days:+d}"


class Reminder(models.Model):
    """A renewal reminder sent (or being sent) to one member: the claim that makes it once."""

    # The unique constraint below starts with membership: no separate index needed.
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField()
    offset_days = models.SmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "year", "offset_days"], name="reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.year} J{self.offset_days:+d}"
