"""The médecin-traitant desk: patient requests (health data), GP capacity, proposals, the access
log. Tenant tables of their own, never joined to the public directory (docs/access-care.md).

Identity and criteria columns are ``EncryptedTextField``: AES-GCM ciphertext in the table, plain
text on the model (``crypto.py``). What stays in clear is what the queue sorts and filters on and
what says nothing about the person by itself: status, dates, commune codes, the priority score.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import crypto


class EncryptedTextField(models.TextField):
    """Text stored AES-GCM encrypted (bound to its column); "" stays "". Never filter on it:
    each encryption draws a new nonce, so equal texts give different values."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.decrypt(value, field=self.column)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value, field=self.column)


class Criterion(models.TextChoices):
    ALD = "ald", _("Affection de longue durée (ALD)")
    ELDERLY = "elderly", _("70 ans et plus")
    C2S = "c2s", _("Complémentaire santé solidaire (C2S) ou AME")
    PREGNANCY = "pregnancy", _("Grossesse")
    DISABILITY = "disability", _("Situation de handicap")
    GP_LEFT = "gp_left", _("Médecin traitant parti (retraite, déménagement)")
    MOBILITY = "mobility", _("Mobilité réduite")


# The national priority groups (CPTS.md §7): counted apart in the indicators.
PRIORITY_GROUPS = (Criterion.ALD, Criterion.ELDERLY, Criterion.C2S)
# Criteria the person ticks; ELDERLY is computed from the birth date.
DECLARED_CRITERIA = [c for c in Criterion if c != Criterion.ELDERLY]
# Not a criterion: points per full month the request has waited (recomputed daily).
WAIT_MONTH = "wait_month"
DEFAULT_WEIGHTS = {
    Criterion.ALD.value: 100,
    Criterion.ELDERLY.value: 100,
    Criterion.C2S.value: 100,
    Criterion.PREGNANCY.value: 50,
    Criterion.DISABILITY.value: 50,
    Criterion.GP_LEFT.value: 30,
    Criterion.MOBILITY.value: 30,
    WAIT_MONTH: 10,
}


def default_weights() -> dict:
    return dict(DEFAULT_WEIGHTS)


DEFAULT_EMAIL_SUBJECT = "Votre demande de médecin traitant"
DEFAULT_EMAIL_BODY = (
    "Bonjour {prenom} {nom},\n\n"
    "Bonne nouvelle : le docteur {medecin} accepte de devenir votre médecin traitant.\n"
    "Cabinet : {cabinet}\nTéléphone du cabinet : {telephone}\n\n"
    "Prenez rendez-vous en précisant que vous venez de la part de {cpts}. Lors de la "
    "première consultation, vous remplirez avec le médecin la déclaration de médecin traitant.\n\n"
    "L'équipe de coordination de {cpts}"
)


class DeskSettings(models.Model):
    """One row per CPTS (pk=1). ``enabled`` is the operator's switch (only with HDS hosting);
    the rest is the team's: priority weights, retention delay, the patient's letter."""

    enabled = models.BooleanField(_("module activé"), default=False)
    enabled_at = models.DateTimeField(null=True, blank=True)
    enabled_by = models.CharField(max_length=254, blank=True)
    weights = models.JSONField(_("poids des critères"), default=default_weights)
    retention_months = models.PositiveSmallIntegerField(_("anonymisation après clôture (mois)"), default=6)
    letter_subject = models.CharField(_("objet du courrier"), max_length=200, default=DEFAULT_EMAIL_SUBJECT)
    letter_body = models.TextField(_("texte du courrier au patient"), default=DEFAULT_EMAIL_BODY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réglages de l'accès aux soins")

    def __str__(self) -> str:
        return "access care settings"


class DeskPermission(models.Model):
    """« Accès aux soins »: a team member the admin allowed to read patient requests."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("accès aux soins autorisé")

    def __str__(self) -> str:
        return str(self.user_id)


class PatientRequest(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("Nouvelle")
        QUALIFIED = "qualified", _("Qualifiée")
        PROPOSED = "proposed", _("Proposée à un médecin")
        ACCEPTED = "accepted", _("Acceptée par un médecin")
        DECLINED = "declined", _("Refusée par le patient")
        UNREACHABLE = "unreachable", _("Injoignable")
        CLOSED = "closed", _("Close")

    class Channel(models.TextChoices):
        WEB = "web", _("Formulaire en ligne")
        PHONE = "phone", _("Téléphone")
        DESK = "desk", _("Accueil, mairie, partenaire")

    class ContactBy(models.TextChoices):
        EMAIL = "email", _("E-mail")
        LETTER = "letter", _("Courrier")
        PHONE = "phone", _("Téléphone")

    class CloseReason(models.TextChoices):
        FOUND_ALONE = "found_alone", _("A trouvé un médecin par lui-même")
        MOVED = "moved", _("A déménagé")
        WITHDREW = "withdrew", _("A retiré sa demande")
        OTHER = "other", _("Autre")

    OPEN_STATUSES = (Status.NEW, Status.QUALIFIED, Status.PROPOSED)
    ENDED_STATUSES = (Status.ACCEPTED, Status.DECLINED, Status.UNREACHABLE, Status.CLOSED)

    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(_("canal"), max_length=6, choices=Channel.choices, default=Channel.WEB)
    # Encrypted identity and situation.
    last_name = EncryptedTextField(_("nom"))
    first_name = EncryptedTextField(_("prénom"))
    birth_date_text = EncryptedTextField(_("date de naissance"))
    phone = EncryptedTextField(_("téléphone"), blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)
    address = EncryptedTextField(_("adresse postale"), blank=True)
    helper = EncryptedTextField(_("demande faite par"), blank=True)
    criteria_text = EncryptedTextField(_("critères"), blank=True)
    notes = EncryptedTextField(_("notes de l'équipe"), blank=True)
    # In clear: the territory check, the ranking of GPs and the queue's sort need them.
    commune = models.CharField(_("commune de résidence"), max_length=5)
    preferred_communes = ArrayField(models.CharField(max_length=5), default=list, blank=True)
    contact_by = models.CharField(
        _("être prévenu par"), max_length=6, choices=ContactBy.choices, default=ContactBy.EMAIL
    )
    identity_index = models.CharField(max_length=64, db_index=True, blank=True)
    possible_duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.PositiveIntegerField(_("priorité"), default=0)
    consent_at = models.DateTimeField(_("consentement le"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    found_at = models.DateTimeField(null=True, blank=True)
    found_gp = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_reason = models.CharField(max_length=12, choices=CloseReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    patient_notified_at = models.DateTimeField(null=True, blank=True)
    team_notified_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Filled when the identity is erased, so the indicators keep counting per priority group.
    anonymous_groups = ArrayField(models.CharField(max_length=12), default=list, blank=True)

    class Meta:
        verbose_name = _("demande de médecin traitant")
        indexes = [
            models.Index(fields=["status", "-priority", "created_at"], name="access_request_queue"),
            models.Index(fields=["closed_at"], name="access_request_closed"),
            # The queue's default view (open, not anonymised) in its own order: its first page is
            # the index's first 50 entries instead of a sort of every open request.
            models.Index(
                fields=["-priority", "created_at", "id"],
                # Written as ORs, not IN: PostgreSQL prints an IN list differently in a cloned
                # schema, and the clone must match the template (tests/tenants/test_cloning.py).
                condition=models.Q(anonymised_at__isnull=True)
                & (models.Q(status="new") | models.Q(status="qualified") | models.Q(status="proposed")),
                name="access_request_open_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"request {self.pk}"

    @property
    def birth_date(self) -> date | None:
        return date.fromisoformat(self.birth_date_text) if self.birth_date_text else None

    @property
    def criteria(self) -> list[str]:
        return [c for c in self.criteria_text.split(",") if c] if self.criteria_text else []

    def age_on(self, day: date) -> int | None:
        born = self.birth_date
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def groups(self, day: date | None = None) -> list[str]:
        """Declared criteria plus ELDERLY when 70 or over on ``day`` (today by default)."""
        groups = list(self.criteria)
        age = self.age_on(day or timezone.localdate())
        if age is not None and age >= 70:
            groups.append(Criterion.ELDERLY.value)
        return groups

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class StatusChange(models.Model):
    """Who moved a request from one status to another, and when."""

    request = models.ForeignKey(PatientRequest, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"

    @property
    def from_label(self) -> str:
        return PatientRequest.Status(self.from_status).label if self.from_status else "—"

    @property
    def to_label(self) -> str:
        return PatientRequest.Status(self.to_status).label


class GpCapacity(models.Model):
    """How many new patients a GP member takes this quarter, whom and where."""

    gp = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quarter = models.DateField(_("trimestre"))
    places = models.PositiveSmallIntegerField(_("nouveaux patients ce trimestre"), default=0)
    taken = models.PositiveSmallIntegerField(default=0)
    groups = ArrayField(models.CharField(max_length=12), default=list, blank=True)
    communes = ArrayField(models.CharField(max_length=5), default=list, blank=True)
    practice_commune = models.CharField(_("commune du cabinet"), max_length=5, blank=True)
    practice_name = models.CharField(_("cabinet"), max_length=200, blank=True)
    practice_phone = models.CharField(_("téléphone du cabinet"), max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("capacité d'un médecin")
        constraints = [
            models.UniqueConstraint(fields=["gp", "quarter"], name="access_capacity_once"),
            models.CheckConstraint(
                condition=models.Q(taken__lte=models.F("places")), name="access_no_overbooking"
            ),
        ]
        indexes = [models.Index(fields=["quarter"], name="access_capacity_quarter")]

    def __str__(self) -> str:
        return f"{self.gp_id} {self.quarter}: {self.taken}/{self.places}"

    @property
    def left(self) -> int:
        return max(self.places - self.taken, 0)


class Proposal(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", _("Envoyée")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Déclinée")
        WITHDRAWN = "withdrawn", _("Retirée")

    request = models.ForeignKey(PatientRequest, on_delete=models.CASCADE, related_name="proposals")
    gp = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    gp_notified_at = models.DateTimeField(null=True, blank=True)
    team_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["request", "gp"], name="access_proposal_once")]

    def __str__(self) -> str:
        return f"proposal {self.pk}"


class AccessLog(models.Model):
    """Who read or wrote which patient request, when and from where. Append-only: a database
    trigger refuses UPDATE, and DELETE of rows younger than 12 months (migration 0002)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user_id = models.BigIntegerField(null=True)
    user_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=30)
    request_id = models.BigIntegerField(null=True, db_index=True)
    detail = models.CharField(max_length=200, blank=True)
    ip = models.CharField(max_length=45, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at} {self.user_email} {self.action} {self.request_id}"
