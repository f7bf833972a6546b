"""E-mail campaigns of one CPTS to its members (tables in the CPTS's schema).

A ``Campaign`` is written by the team, then sent to an audience (``segments.Audience``, stored as
JSON on the campaign). When it starts, its recipients are written once as ``Recipient`` rows: the
audience is frozen, and each row is the claim that makes each (campaign, recipient) sent at most
once (``sending.py``). ``SenderSettings`` holds the CPTS's sender name and reply-to address.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SenderSettings(models.Model):
    """One row per CPTS (pk=1): the name shown as sender and where replies go. The address itself
    is the platform's sending domain (``DEFAULT_FROM_EMAIL``), signed by the provider."""

    SINGLETON_ID = 1

    sender_name = models.CharField(
        _("nom de l'expéditeur"), max_length=120, blank=True, help_text=_("Vide : le nom de la CPTS.")
    )
    reply_to = models.EmailField(
        _("adresse de réponse"), blank=True, help_text=_("Les réponses des destinataires arrivent ici.")
    )

    class Meta:
        verbose_name = _("expéditeur des campagnes")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="campaigns_sender_singleton")]

    def __str__(self) -> str:
        return self.sender_name or str(self._meta.verbose_name)

    @classmethod
    def load(cls) -> SenderSettings:
        row, _created = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return row


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SCHEDULED = "scheduled", _("Programmée")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyée")
        CANCELLED = "cancelled", _("Annulée")

    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("message"))
    audience = models.JSONField(_("destinataires"), default=dict, blank=True)
    sender_name = models.CharField(_("nom de l'expéditeur"), max_length=120, blank=True)
    reply_to = models.EmailField(_("adresse de réponse"), blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("envoi programmé le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The last time a sender made progress: a campaign still sending with an old heartbeat lost its
    # worker and is resumed (workers/campaigns.py).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    recipients_total = models.PositiveIntegerField(default=0)
    # Who decided the send (« send now » or the schedule): the audit log's actor when it starts.
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when retention deleted the per-address rows; ``final_counts`` keeps the page's figures.
    recipients_purged_at = models.DateTimeField(null=True, blank=True)
    final_counts = models.JSONField(default=dict, blank=True)
    # The mail stamps (``SentMail`` ids) of recipients reported bounced or complaining whose
    # provider events went by their own retention: still counted as bounced.
    purged_bounce_ids = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("campagne")
        verbose_name_plural = _("campagnes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaigns_due")]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)


class Recipient(models.Model):
    """One (campaign, address): the claim row of the sending pipeline.

    ``pending`` → ``sending`` (committed before the SMTP exchange) → ``sent`` / ``failed`` /
    ``skipped``. A row a dead worker left in ``sending`` is never sent again (``interrupted``):
    at most once, not at least once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Refusé par le serveur")
        SKIPPED = "skipped", _("Non envoyé (désinscrit ou adresse bloquée)")
        INTERRUPTED = "interrupted", _("Interrompu (non confirmé)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    email = models.EmailField()
    name = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("destinataire")
        constraints = [models.UniqueConstraint(fields=["campaign", "email"], name="campaigns_recipient_once")]
        indexes = [
            models.Index(
                fields=["campaign", "id"], name="campaigns_recipient_pending", condition=Q(status="pending")
            ),
            models.Index(fields=["message_id"], name="campaigns_recipient_msgid"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"


class DirectoryOptIn(models.Model):
    """A professional of the directory who agreed to hear from this CPTS by e-mail (consent kept
    with its date; withdrawn by the unsubscribe link or on request)."""

    entry = models.ForeignKey(
        "directory.Entry", on_delete=models.CASCADE, related_name="+", verbose_name=_("fiche")
    )
    email = models.EmailField(_("adresse e-mail"))
    consented_at = models.DateTimeField(_("consentement le"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("professionnel de l'annuaire abonné")
        verbose_name_plural = _("professionnels de l'annuaire abonnés")
        constraints = [models.UniqueConstraint(fields=["entry", "email"], name="campaigns_optin_once")]

    def __str__(self) -> str:
        return self.email
