"""The projet de santé of a CPTS: versions (draft → submitted → validated), axes (missions) and
actions. Tenant tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.missions import OPTIONAL_MISSIONS, SOCLE_MISSIONS, MissionKind


class ProjectVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Soumis")
        VALIDATED = "validated", _("Validé")

    number = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("titre"), max_length=200)
    summary = models.TextField(
        _("résumé public"), blank=True, help_text=_("Affiché sur le site public de la CPTS.")
    )
    diagnosis = models.TextField(_("diagnostic territorial"), blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("soumis le"), null=True, blank=True)
    validated_on = models.DateField(_("validé le"), null=True, blank=True)
    validating_bodies = models.CharField(
        _("instances ayant validé"), max_length=300, blank=True, help_text=_("Par exemple : ARS, CPAM.")
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("issue de")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("version du projet de santé")
        verbose_name_plural = _("versions du projet de santé")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="validated") | Q(validated_on__isnull=False),
                name="hp_validated_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Axis(models.Model):
    version = models.ForeignKey(ProjectVersion, on_delete=models.CASCADE, related_name="axes")
    mission = models.CharField(_("mission"), max_length=20, choices=MissionKind.choices)
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("axe")
        verbose_name_plural = _("axes")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_socle(self) -> bool:
        return self.mission in SOCLE_MISSIONS

    @property
    def is_optional(self) -> bool:
        return self.mission in OPTIONAL_MISSIONS


class Action(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Prévue")
        IN_PROGRESS = "in_progress", _("En cours")
        DONE = "done", _("Réalisée")
        ABANDONED = "abandoned", _("Abandonnée")

    axis = models.ForeignKey(Axis, on_delete=models.CASCADE, related_name="actions", verbose_name=_("axe"))
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("pilote"),
    )
    working_group = models.ForeignKey(
        "working_groups.WorkingGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
        verbose_name=_("groupe de travail"),
    )
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    start_date = models.DateField(_("début"), null=True, blank=True)
    end_date = models.DateField(_("échéance"), null=True, blank=True)
    budget = models.DecimalField(_("budget (€)"), max_digits=12, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="hp_action_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title
