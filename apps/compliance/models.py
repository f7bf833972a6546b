"""A person's erasure request, kept in the public schema: the account is global, and both the
operator and the admins of each CPTS it belonged to must see it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ErasureRequest(models.Model):
    # No constraint: the account row stays (anonymised); the request must outlive any later change.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        verbose_name=_("compte"),
    )  # fmt: skip
    requested_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    completed_at = models.DateTimeField(_("exécutée le"), null=True, blank=True)
    # Schema names of the CPTS the account belonged to when it asked (their admins see the request).
    communities = ArrayField(models.CharField(max_length=63), default=list, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("demande d'effacement")
        verbose_name_plural = _("demandes d'effacement")

    def __str__(self) -> str:
        return f"effacement du compte {self.user_id}"
