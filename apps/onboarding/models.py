"""What the first administrator of a new CPTS has done of its first steps (one row per step done),
in the CPTS's schema."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CompletedStep(models.Model):
    step = models.CharField(_("étape"), max_length=30, unique=True)
    completed_at = models.DateTimeField(_("terminée le"), default=timezone.now)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("étape des premiers pas")
        verbose_name_plural = _("étapes des premiers pas")

    def __str__(self) -> str:
        return self.step
