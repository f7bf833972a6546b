"""The ACI contract of a CPTS: reference grids (versioned data), contract, missions and their
deadlines, funding, payments, spending, indicators and annual reports. Tenant tables."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.missions import MissionKind

from .deadlines import MissionDeadlines, add_months, mission_deadlines


class Envelope(models.TextChoices):
    OPERATING = "operating", _("Fonctionnement")
    ACCESS = MissionKind.ACCESS.value, _("Accès aux soins")
    PATHWAYS = MissionKind.PATHWAYS.value, _("Parcours pluriprofessionnels")
    PREVENTION = MissionKind.PREVENTION.value, _("Prévention")
    CRISIS = MissionKind.CRISIS.value, _("Crises sanitaires graves")
    QUALITY = MissionKind.QUALITY.value, _("Qualité et pertinence des soins")
    SUPPORT = MissionKind.SUPPORT.value, _("Accompagnement des professionnels")


class Part(models.TextChoices):
    OPERATING = "operating", _("Fonctionnement")
    FIXED = "fixed", _("Part fixe")
    VARIABLE = "variable", _("Part variable")


SIZE_CHOICES = [(1, _("Taille 1")), (2, _("Taille 2")), (3, _("Taille 3")), (4, _("Taille 4"))]


class ReferenceGrid(models.Model):
    """A published ACI reference grid, loaded from ``apps/aci/data/grids/*.json``.

    ``verified`` is False while the figures are only reported, not checked against the signed text:
    pages show them as « à vérifier » and the team may correct them.
    """

    code = models.SlugField(_("code"), max_length=80, unique=True)
    label = models.CharField(_("intitulé"), max_length=200)
    valid_from = models.DateField(_("applicable à partir du"))
    source = models.TextField(_("source"), blank=True)
    verified = models.BooleanField(_("vérifiée"), default=False)
    notes = models.TextField(_("remarques"), blank=True)

    class Meta:
        verbose_name = _("grille de référence ACI")
        ordering = ["-valid_from", "code"]

    def __str__(self) -> str:
        return self.label


class GridMission(models.Model):
    grid = models.ForeignKey(ReferenceGrid, on_delete=models.CASCADE, related_name="missions")
    mission = models.CharField(_("mission"), max_length=20, choices=MissionKind.choices)
    mandatory = models.BooleanField(_("socle"), default=True)
    start_months = models.PositiveSmallIntegerField(_("démarrage (mois)"))
    full_months = models.PositiveSmallIntegerField(_("déploiement complet (mois)"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "mission"], name="aci_gridmission_once")]
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.grid.code}: {self.mission}"


class GridAmount(models.Model):
    grid = models.ForeignKey(ReferenceGrid, on_delete=models.CASCADE, related_name="amounts")
    size = models.PositiveSmallIntegerField(_("taille"), choices=SIZE_CHOICES)
    envelope = models.CharField(_("enveloppe"), max_length=20, choices=Envelope.choices)
    part = models.CharField(_("part"), max_length=10, choices=Part.choices)
    annual_amount = models.DecimalField(_("montant annuel (€)"), max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grid", "size", "envelope", "part"], name="aci_gridamount_once")
        ]
        ordering = ["size", "pk"]

    def __str__(self) -> str:
        return f"{self.grid.code} T{self.size} {self.envelope}/{self.part}: {self.annual_amount}"


class Contract(models.Model):
    signed_on = models.DateField(_("date de signature"))
    grid = models.ForeignKey(
        ReferenceGrid, on_delete=models.PROTECT, related_name="+", verbose_name=_("grille de référence")
    )
    size_override = models.PositiveSmallIntegerField(
        _("taille retenue"),
        choices=SIZE_CHOICES,
        null=True,
        blank=True,
        help_text=_("Laisser vide pour utiliser la taille calculée d'après le territoire."),
    )
    duration_years = models.PositiveSmallIntegerField(_("durée (années)"), default=5)
    reference = models.CharField(_("référence du contrat"), max_length=100, blank=True)
    notes = models.TextField(_("remarques"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contrat ACI")
        ordering = ["-signed_on", "-pk"]

    def __str__(self) -> str:
        return _("Contrat ACI signé le %(date)s") % {"date": self.signed_on.strftime("%d/%m/%Y")}

    @property
    def ends_on(self) -> date:
        return add_months(self.signed_on, 12 * self.duration_years)


class ContractMission(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="missions")
    mission = models.CharField(_("mission"), max_length=20, choices=MissionKind.choices)
    label = models.CharField(_("intitulé"), max_length=200, blank=True)
    start_months = models.PositiveSmallIntegerField(_("démarrage (mois après signature)"))
    full_months = models.PositiveSmallIntegerField(_("déploiement complet (mois après signature)"))
    started_on = models.DateField(_("démarrée le"), null=True, blank=True)
    deployed_on = models.DateField(_("déployée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("mission du contrat")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "mission"], name="aci_contractmission_once")
        ]

    def __str__(self) -> str:
        return self.label or self.get_mission_display()

    @property
    def deadlines(self) -> MissionDeadlines:
        return mission_deadlines(self.contract.signed_on, self.start_months, self.full_months)

    def state(self, today: date | None = None) -> str:
        """deployed | late_deployment | started | late_start | upcoming"""
        today = today or timezone.localdate()
        deadlines = self.deadlines
        if self.deployed_on:
            return "deployed"
        if self.started_on:
            return "late_deployment" if today > deadlines.fully_deployed_by else "started"
        return "late_start" if today > deadlines.start_by else "upcoming"


class FundingLine(models.Model):
    """An amount contracted for one civil year, envelope and part (entered by the team)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="funding_lines")
    year = models.PositiveSmallIntegerField(_("année"))
    envelope = models.CharField(_("enveloppe"), max_length=20, choices=Envelope.choices)
    part = models.CharField(_("part"), max_length=10, choices=Part.choices)
    contracted_amount = models.DecimalField(_("montant contractualisé (€)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("ligne de financement")
        ordering = ["year", "envelope", "part"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "year", "envelope", "part"], name="aci_funding_once")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_envelope_display()} {self.get_part_display()}"


class AciPayment(models.Model):
    """An instalment of the ACI funding received from the CPAM (not a member's payment:
    those are ``apps.payments``)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="payments")
    received_on = models.DateField(_("reçu le"))
    amount = models.DecimalField(_("montant (€)"), max_digits=12, decimal_places=2)
    envelope = models.CharField(_("enveloppe"), max_length=20, choices=Envelope.choices)
    part = models.CharField(_("part"), max_length=10, choices=Part.choices)
    label = models.CharField(_("libellé"), max_length=200, blank=True)

    class Meta:
        db_table = "aci_payment"
        verbose_name = _("versement reçu")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.received_on} {self.amount} €"


def evidence_path(instance, filename: str) -> str:
    # default_storage already places files under the CPTS's own prefix.
    return f"aci/justificatifs/{timezone.now():%Y}/{filename}"


class Spending(models.Model):
    spent_on = models.DateField(_("date"))
    amount = models.DecimalField(_("montant (€)"), max_digits=12, decimal_places=2)
    envelope = models.CharField(_("enveloppe"), max_length=20, choices=Envelope.choices)
    label = models.CharField(_("libellé"), max_length=200)
    supplier = models.CharField(_("bénéficiaire"), max_length=200, blank=True)
    receipt = models.FileField(_("justificatif"), upload_to=evidence_path, blank=True, max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("dépense")
        ordering = ["-spent_on", "-pk"]
        indexes = [models.Index(fields=["spent_on", "envelope"], name="aci_spending_year_env")]

    def __str__(self) -> str:
        return f"{self.spent_on} {self.label} {self.amount} €"


class Indicator(models.Model):
    class Nature(models.TextChoices):
        MEANS = "means", _("Indicateur de moyens")
        RESULT = "result", _("Indicateur de résultat")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Saisie par l'équipe")
        MEMBERS = "members", _("Nombre de membres (plateforme)")
        EVENTS_HELD = "events_held", _("Événements tenus (plateforme)")
        EVENT_ATTENDANCE = "event_attendance", _("Participants présents aux événements (plateforme)")
        MEETINGS_HELD = "meetings_held", _("Réunions de groupes de travail (plateforme)")
        MEETING_ATTENDANCE = "meeting_attendance", _("Présences aux réunions de groupes (plateforme)")
        ACTIVE_GROUPS = "active_groups", _("Groupes de travail actifs (plateforme)")
        DIRECTORY_COVERAGE = (
            "directory_coverage",
            _(
                "Couverture de l'annuaire : % des professionnels de santé de l'annuaire membres de la CPTS "
                "(plateforme)"
            ),
        )
        SNP_SLOTS = "snp_slots", _("Créneaux de soins non programmés proposés (plateforme)")
        SNP_PROFESSIONALS = (
            "snp_professionals",
            _("Professionnels proposant des soins non programmés (plateforme)"),
        )
        ACCESS_REQUESTS = (
            "access_requests",
            _("Accès aux soins : demandes de médecin traitant reçues (plateforme)"),
        )
        ACCESS_FOUND = (
            "access_found",
            _("Accès aux soins : patients ayant trouvé un médecin traitant (plateforme)"),
        )
        ACCESS_FOUND_PRIORITY = (
            "access_found_prio",
            _(
                "Accès aux soins : patients prioritaires (ALD, 70 ans et plus, C2S/AME) ayant trouvé un médecin traitant (plateforme)"
            ),
        )
        ACCESS_FOUND_ALD = (
            "access_found_ald",
            _("Accès aux soins : patients en ALD ayant trouvé un médecin traitant (plateforme)"),
        )
        ACCESS_FOUND_ELDERLY = (
            "access_found_70",
            _("Accès aux soins : patients de 70 ans et plus ayant trouvé un médecin traitant (plateforme)"),
        )
        ACCESS_FOUND_C2S = (
            "access_found_c2s",
            _("Accès aux soins : patients C2S ou AME ayant trouvé un médecin traitant (plateforme)"),
        )
        ACCESS_MEDIAN_DAYS = (
            "access_median_days",
            _("Accès aux soins : délai médian d'attente en jours (plateforme)"),
        )
        ACCESS_PENDING = "access_pending", _("Accès aux soins : demandes en attente (plateforme)")

    label = models.CharField(_("intitulé"), max_length=200)
    mission = models.CharField(_("mission"), max_length=20, choices=MissionKind.choices, blank=True)
    nature = models.CharField(_("nature"), max_length=10, choices=Nature.choices, default=Nature.MEANS)
    unit = models.CharField(_("unité"), max_length=40, default="nombre")
    baseline = models.DecimalField(
        _("valeur de départ"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(
        _("source des données"), max_length=20, choices=Source.choices, default=Source.MANUAL
    )
    aggregation = models.CharField(
        _("valeur annuelle"),
        max_length=4,
        choices=[("sum", _("Somme des périodes")), ("last", _("Dernière valeur de l'année"))],
        default="sum",
    )
    description = models.TextField(_("définition"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("indicateur")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_computed(self) -> bool:
        return self.source != self.Source.MANUAL


class IndicatorTarget(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("année"))
    target = models.DecimalField(_("cible"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="aci_target_once")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}: {self.target}"


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"), help_text=_("Inclus."))
    value = models.DecimalField(_("valeur"), max_digits=14, decimal_places=2)
    computed = models.BooleanField(_("calculée"), default=False)
    note = models.CharField(_("commentaire"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("valeur d'indicateur")
        ordering = ["period_start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period_start", "period_end"], name="aci_value_once"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="aci_value_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period_start}–{self.period_end}: {self.value}"


class Evidence(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="evidence")
    value = models.ForeignKey(
        IndicatorValue, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to=evidence_path, max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("justificatif")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class AnnualReport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Prêt")
        FAILED = "failed", _("Échec")

    year = models.PositiveSmallIntegerField(_("année"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pdf_path = models.CharField(max_length=300, blank=True)
    csv_path = models.CharField(max_length=300, blank=True)
    xlsx_path = models.CharField(max_length=300, blank=True)
    build_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("rapport d'activité")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return _("Rapport d'activité %(year)s") % {"year": self.year}
