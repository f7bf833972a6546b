"""Notifications and preferences, in each CPTS's schema (a person in three CPTS has three sets)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .registry import Channel


class Preference(models.Model):
    """How ``user`` wants to receive the optional notifications of ``kind`` from this CPTS."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=80)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notifications_one_preference")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}"


class Notification(models.Model):
    """One thing this CPTS told ``user``: listed in the member space, e-mailed at once or kept for
    the weekly digest (``channel``). ``key`` makes it unique: told twice, stored once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=80)
    key = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True, default="")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Set by the weekly digest once it carried this notification, with the week that carried it
    # (a second collection of that week finds it again).
    digested_at = models.DateTimeField(null=True, blank=True)
    digest_period = models.CharField(max_length=10, blank=True, default="")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notifications_recent"),
            models.Index(
                fields=["channel", "digested_at"],
                name="notifications_digest",
                condition=models.Q(channel="digest"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Unsubscription(models.Model):
    """An address that asked this CPTS to stop sending it ``kind`` (the one-click link): kept per
    address, so it holds for a recipient without an account (a directory professional) too.
    ``source`` names what carried the link (``"campaign:12"``), for the campaign's counts."""

    email = models.EmailField()
    kind = models.CharField(max_length=80)
    source = models.CharField(max_length=80, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("désabonnement")
        verbose_name_plural = _("désabonnements")
        constraints = [
            models.UniqueConstraint(Lower("email"), "kind", name="notifications_unsubscribed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.kind}"
