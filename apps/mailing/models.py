"""What the platform sent, and which addresses it must not write to.

Both tables live in the public schema (``apps.mailing`` is a shared app): a row names its CPTS by
schema, so a provider's event about a message (bounce, complaint) finds its CPTS from our own
message id, and an address suppressed once is suppressed for every CPTS.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SentMail(models.Model):
    """One e-mail handed to the mail server. With a ``key``, the stamp that makes a send idempotent:
    (schema, key) is unique, so a retried task finds it and does not send again."""

    schema = models.CharField(max_length=63, db_index=True)
    # NULL, not "": mails sent without a key (an explicit « send again ») are not unique.
    key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    kind = models.CharField(max_length=80, blank=True, default="")
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    message_id = models.CharField(max_length=255, unique=True)
    # The provider's own id of the message (django-anymail's status), when it gives one.
    provider_message_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail envoyé")
        verbose_name_plural = _("e-mails envoyés")
        constraints = [
            models.UniqueConstraint(
                fields=["schema", "key"],
                condition=models.Q(key__isnull=False),
                name="mailing_sent_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.schema}:{self.key or self.message_id}"


class Suppression(models.Model):
    """An address no e-mail is sent to any more (every send checks it): the provider reported a
    hard bounce or a complaint for it."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("adresse en échec définitif")
        COMPLAINED = "complained", _("signalé comme indésirable")

    address = models.EmailField(unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("adresse bloquée")
        verbose_name_plural = _("adresses bloquées")

    def __str__(self) -> str:
        return self.address


class DeliveryEvent(models.Model):
    """One event the mail provider reported (delivered, bounced, complained…), stored once: a
    replayed webhook finds its fingerprint and changes nothing. ``schema`` is the CPTS of the
    message, found from our own message id (``SentMail``), empty when the message is not ours."""

    provider = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40)
    recipient = models.EmailField(blank=True, default="")
    message_id = models.CharField(max_length=255, blank=True, default="")
    schema = models.CharField(max_length=63, blank=True, default="", db_index=True)
    sent_mail = models.ForeignKey(
        SentMail, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    suppressed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("événement de distribution")
        verbose_name_plural = _("événements de distribution")

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.recipient}"


class DigestDelivery(models.Model):
    """The weekly digest's claim for one account and one week (``period``, ``2026-W49``): written
    and committed before the SMTP exchange, unique, so a second run of the week (a second beat, a
    retried batch, Redis lost) never sends a second digest. ``sent_at`` once the server accepted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=10)
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("récapitulatif hebdomadaire envoyé")
        verbose_name_plural = _("récapitulatifs hebdomadaires envoyés")
        constraints = [models.UniqueConstraint(fields=["user", "period"], name="mailing_one_digest_per_week")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period}"


class DigestOptOut(models.Model):
    """An account that stopped the weekly digest: every section, from every CPTS (the digest is
    one e-mail per account, so its one-click link names the account, not a CPTS). Written by
    that link or by the account's choice in « Mes notifications »; deleted when it switches the
    digest back on."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("récapitulatif hebdomadaire arrêté")
        verbose_name_plural = _("récapitulatifs hebdomadaires arrêtés")

    def __str__(self) -> str:
        return f"{self.user_id}"
