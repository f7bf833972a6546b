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


class DataExport(models.Model):
    """An archive built by a worker, kept in the public schema's storage for a few days.

    Two kinds: a person's data (``PERSON``: everything about ``requested_by``, downloadable by that
    account only) and a CPTS's archive (``COMMUNITY``: ``tenants.transfer`` of ``schema_name``,
    downloadable by operators only). The CPTS is named by its schema, not a foreign key: a CPTS's
    own export copies every public row pointing at it, and this table must not travel with it.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("données personnelles")
        COMMUNITY = "community", _("archive d'une CPTS")

    class Status(models.TextChoices):
        PENDING = "pending", _("en préparation")
        READY = "ready", _("prête")
        FAILED = "failed", _("échec")
        EXPIRED = "expired", _("expirée")

    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("demandée par")
    )
    schema_name = models.CharField(_("CPTS"), max_length=63, blank=True)
    # The member-space page the e-mail links to (the host the person asked from).
    page_url = models.URLField(_("page"), max_length=500, blank=True)
    status = models.CharField(_("état"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    ready_at = models.DateTimeField(_("prête le"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    # Name in the public schema's storage; emptied when the file is purged.
    file_name = models.CharField(_("fichier"), max_length=255, blank=True)
    size = models.BigIntegerField(_("taille"), default=0)
    error = models.TextField(_("erreur"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("export de données")
        verbose_name_plural = _("exports de données")
        indexes = [models.Index(fields=["status", "expires_at"], name="compliance_export_due")]

    def __str__(self) -> str:
        return f"export {self.kind} n° {self.pk}"
