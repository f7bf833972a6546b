"""The communes a CPTS covers. Tables live in each CPTS's schema; communes themselves are the
shared national reference (``geo.Commune``, public schema)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AciSize(models.IntegerChoices):
    SIZE_1 = 1, _("Taille 1 (moins de 40 000 habitants)")
    SIZE_2 = 2, _("Taille 2 (40 000 à 80 000 habitants)")
    SIZE_3 = 3, _("Taille 3 (80 000 à 175 000 habitants)")
    SIZE_4 = 4, _("Taille 4 (plus de 175 000 habitants)")


class TerritoryCommune(models.Model):
    # No database constraint: the referenced table is in the public schema and the template
    # schema is cloned; the reference data never deletes a commune (it marks it not current).
    commune = models.ForeignKey(
        "geo.Commune",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("commune"),
    )
    added_at = models.DateTimeField(_("ajoutée le"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("commune du territoire")
        verbose_name_plural = _("communes du territoire")
        constraints = [models.UniqueConstraint(fields=["commune"], name="territory_commune_unique")]

    def __str__(self) -> str:
        return str(self.commune_id)


class TerritorySettings(models.Model):
    """One row per CPTS (pk=1): the ACI size chosen by the team, overriding the computed one."""

    aci_size_override = models.PositiveSmallIntegerField(
        _("taille ACI retenue"), choices=AciSize.choices, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réglages du territoire")

    def __str__(self) -> str:
        return "territory settings"
