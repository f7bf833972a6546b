"""One table, in every CPTS schema (that CPTS's log) and in the public schema (the platform's).

Rows are never changed: the database refuses UPDATE and TRUNCATE, and DELETE except from the
retention purge (``apps.audit.log.purge_before``); see migrations/0001 and docs/audit.md.
No personal data is copied in: the actor and an account target are ids, their names are read at
display time, so anonymising an account anonymises its lines too.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    # No database constraint: an account's deletion must not rewrite the log (nor be blocked by it).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("auteur"),
    )
    by_platform = models.BooleanField(_("par la plateforme"), default=False)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("type d'objet"), max_length=60, blank=True)
    target_id = models.CharField(_("objet"), max_length=64, blank=True)
    target_label = models.CharField(_("libellé de l'objet"), max_length=200, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
