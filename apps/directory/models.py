"""The directory of a CPTS: professionals and structures of its territory, their places of
practice, imports from the national registers, listing requests. Tables live in each CPTS's schema."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.professionals.models import IdentifierType


class Kind(models.TextChoices):
    PROFESSIONAL = "professional", _("Professionnel de santé")
    STRUCTURE = "structure", _("Structure")


class Family(models.TextChoices):
    LIBERAL = "liberal", _("Professionnels de santé")
    RETIREMENT = "retirement", _("Maisons de retraite et résidences autonomie")
    HOME_CARE = "home_care", _("Aide et soins à domicile")
    DISABILITY = "disability", _("Handicap")
    SOCIAL = "social", _("Action sociale")
    HEALTH_ESTABLISHMENT = "health_establishment", _("Établissements de santé")
    MSP = "msp", _("Maisons de santé pluriprofessionnelles")
    HEALTH_CENTRE = "health_centre", _("Centres de santé")
    PHARMACY = "pharmacy", _("Pharmacies")
    OTHER = "other", _("Autres structures")


class Source(models.TextChoices):
    RPPS = "rpps", _("Annuaire Santé (RPPS/ADELI)")
    FINESS = "finess", _("FINESS")
    MANUAL = "manual", _("Saisie par l'équipe")
    REQUEST = "request", _("Demande de référencement")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEMBERS = "members", _("Membres de la CPTS uniquement")
    HIDDEN = "hidden", _("Masqué")


# An entry without an identifier leaves the field blank.
ENTRY_IDENTIFIER_CHOICES = [("", _("Aucun"))] + [
    (kind.value, kind.label)
    for kind in (IdentifierType.RPPS, IdentifierType.ADELI, IdentifierType.FINESS, IdentifierType.SIRET)
]


class Entry(models.Model):
    """A professional or a structure listed in the directory.

    Fields named in ``locked_fields`` were edited by hand and are never overwritten by an import.
    ``imported_hash`` is the fingerprint of what the last import brought: equal means unchanged.
    """

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    family = models.CharField(_("famille"), max_length=30, choices=Family.choices)
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    identifier_type = models.CharField(
        _("type d'identifiant"), max_length=10, choices=ENTRY_IDENTIFIER_CHOICES, blank=True
    )
    identifier = models.CharField(_("identifiant"), max_length=20, blank=True)
    name = models.CharField(_("nom affiché"), max_length=300)
    civility = models.CharField(_("civilité"), max_length=20, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    profession_code = models.CharField(_("code profession"), max_length=10, blank=True)
    profession = models.CharField(_("profession"), max_length=150, blank=True)
    specialty_code = models.CharField(_("code savoir-faire"), max_length=10, blank=True)
    specialty = models.CharField(_("spécialité"), max_length=200, blank=True)
    practice_mode = models.CharField(_("mode d'exercice"), max_length=50, blank=True)
    finess_category_code = models.CharField(_("catégorie FINESS"), max_length=5, blank=True)
    finess_category = models.CharField(_("libellé de catégorie FINESS"), max_length=200, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    website = models.URLField(_("site web"), blank=True)
    accepts_new_patients = models.BooleanField(_("accepte de nouveaux patients"), null=True, blank=True)
    languages = ArrayField(
        models.CharField(max_length=50), verbose_name=_("langues parlées"), default=list, blank=True
    )
    description = models.TextField(_("présentation"), blank=True)
    is_member = models.BooleanField(_("membre de la CPTS"), default=False)
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    # Members-only: never shown to the public, in pages or API.
    members_note = models.TextField(_("note réservée aux membres"), blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
        verbose_name=_("revendiquée par"),
    )
    claimed_at = models.DateTimeField(_("revendiquée le"), null=True, blank=True)
    locked_fields = ArrayField(models.CharField(max_length=50), default=list, blank=True, editable=False)
    imported_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Set when a complete national file no longer lists an entry an import brought (retired, moved
    # away, closed): out of the directory, kept for the record, back if a later file lists it.
    withdrawn_at = models.DateTimeField(
        _("retirée des extraits nationaux le"), null=True, blank=True, editable=False
    )
    # Normalised words (apps.geo.text.normalize): the name (weighs most) and everything searchable.
    search_title = models.TextField(blank=True, editable=False)
    search_document = models.TextField(blank=True, editable=False)
    search_vector = models.GeneratedField(
        expression=SearchVector("search_title", weight="A", config="simple")
        + SearchVector("search_document", weight="D", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("mise à jour le"), default=timezone.now)

    class Meta:
        verbose_name = _("fiche de l'annuaire")
        verbose_name_plural = _("fiches de l'annuaire")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["identifier_type", "identifier"],
                condition=~Q(identifier=""),
                name="directory_entry_identifier_unique",
            )
        ]
        indexes = [
            # No pending list: every search would scan it linearly until the next vacuum.
            GinIndex(fields=["search_vector"], name="directory_entry_fts", fastupdate=False),
            models.Index(fields=["family"], name="directory_entry_family"),
            models.Index(fields=["profession_code"], name="directory_entry_profession"),
            models.Index(fields=["name", "id"], name="directory_entry_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def national_id(self) -> str:
        """``8`` + RPPS, ``0`` + ADELI, or the FINESS/SIRET number as is."""
        prefix = {IdentifierType.RPPS: "8", IdentifierType.ADELI: "0"}.get(self.identifier_type, "")
        return f"{prefix}{self.identifier}" if self.identifier else ""


class SearchWord(models.Model):
    """Every word of the directory's search documents: the vocabulary typos are corrected against
    (a few thousand rows, trigram-indexed), rebuilt after imports and kept up by manual edits."""

    word = models.CharField(max_length=100, unique=True)

    class Meta:
        indexes = [
            GinIndex(fields=["word"], opclasses=["gin_trgm_ops"], name="directory_searchword_trgm"),
            models.Index(fields=["word"], opclasses=["text_pattern_ops"], name="directory_searchword_prefix"),
        ]

    def __str__(self) -> str:
        return self.word


class Place(models.Model):
    """A place of practice of an entry (a structure has one; a professional may have several)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="places")
    # Stable key from the import (structure id or address fingerprint); empty for manual places.
    source_key = models.CharField(max_length=64, blank=True)
    name = models.CharField(_("nom du lieu"), max_length=300, blank=True)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    commune = models.ForeignKey(
        "geo.Commune",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("commune"),
    )
    city = models.CharField(_("ville"), max_length=200, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    # Members-only.
    email = models.EmailField(_("adresse e-mail"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("lieu d'exercice")
        verbose_name_plural = _("lieux d'exercice")
        ordering = ["entry_id", "position", "pk"]
        indexes = [models.Index(fields=["commune"], name="directory_place_commune")]

    def __str__(self) -> str:
        return f"{self.name or self.address} ({self.city})"


# The lines of an import's report, in the order shown (keys of ImportReport).
REPORT_ROWS = [
    ("lines_read", _("Lignes de données lues (ligne d'en-tête non comptée)")),
    ("kept", _("Lignes retenues (communes du territoire)")),
    ("outside_territory", _("Lignes hors du territoire (ignorées)")),
    ("created", _("Fiches créées")),
    ("updated", _("Fiches mises à jour")),
    ("unchanged", _("Fiches inchangées")),
    ("withdrawn", _("Fiches retirées (absentes du nouvel extrait)")),
    ("rejected_count", _("Lignes rejetées")),
]
REGISTER_NAMES = {"rpps": _("Annuaire Santé (professionnels)"), "finess": _("FINESS (établissements)")}


class ImportRun(models.Model):
    """One import of national extracts, with its progress (polled by the team's page) and report."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échoué")

    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    rpps_file = models.CharField(_("fichier Annuaire Santé"), max_length=300, blank=True)
    finess_file = models.CharField(_("fichier FINESS"), max_length=300, blank=True)
    # The uploaded files' own names (the stored copies have internal names).
    rpps_name = models.CharField(_("nom du fichier Annuaire Santé"), max_length=255, blank=True)
    finess_name = models.CharField(_("nom du fichier FINESS"), max_length=255, blank=True)
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    phase = models.CharField(max_length=50, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Queued by the weekly refresh from the national extracts (apps/directory/national.py).
    automatic = models.BooleanField(default=False, editable=False)
    # How many times a worker started it (a worker that dies mid-import gives it back to the queue).
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("import de l'annuaire")
        verbose_name_plural = _("imports de l'annuaire")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(100 * self.bytes_read / self.bytes_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def sections(self) -> list[dict]:
        """The report, one section per file: register, file name, rows (label, figure), rejected
        lines and warnings."""
        return [
            {
                "kind": kind,
                "register": REGISTER_NAMES.get(kind, kind),
                "file": section.get("file", ""),
                "rows": [(label, section.get(key, 0)) for key, label in REPORT_ROWS],
                "rejected": section.get("rejected", []),
                "rejected_count": section.get("rejected_count", 0),
                "warnings": section.get("warnings", []),
            }
            for kind, section in (self.report or {}).items()
        ]

    def file_names(self) -> dict[str, str]:
        """``{"rpps": …, "finess": …}`` for the files of this run, as the team knows them: the
        uploaded file's own name, or the national extract for the weekly refresh."""
        names = {}
        for kind, stored, given in (
            ("rpps", self.rpps_file, self.rpps_name),
            ("finess", self.finess_file, self.finess_name),
        ):
            if stored:
                names[kind] = given or (
                    str(_("extrait national")) if self.automatic else stored.rsplit("/", 1)[-1]
                )
        return names


class ListingRequest(models.Model):
    """A request the team moderates: a public "you are not listed?" request, or a member's claim of
    an existing entry (``purpose`` = claim: ``entry`` is the entry, ``requested_by`` the account
    asking, ``message`` why). Nothing public changes until the team accepts it; the requester is
    told the decision by e-mail."""

    class Status(models.TextChoices):
        PENDING = "pending", _("À traiter")
        ACCEPTED = "accepted", _("Acceptée")
        REJECTED = "rejected", _("Refusée")

    class Purpose(models.TextChoices):
        LISTING = "listing", _("Demande de référencement")
        CLAIM = "claim", _("Revendication d'une fiche")

    purpose = models.CharField(
        _("objet"), max_length=10, choices=Purpose.choices, default=Purpose.LISTING, editable=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
        editable=False,
        verbose_name=_("compte demandeur"),
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.PROFESSIONAL)
    name = models.CharField(_("nom et prénom ou raison sociale"), max_length=300)
    profession = models.CharField(_("profession ou activité"), max_length=150)
    identifier = models.CharField(_("RPPS, ADELI, FINESS ou SIRET"), max_length=20, blank=True)
    address = models.CharField(_("adresse"), max_length=300)
    postcode = models.CharField(_("code postal"), max_length=10)
    city = models.CharField(_("ville"), max_length=200)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    website = models.URLField(_("site web"), blank=True)
    email = models.EmailField(_("votre adresse e-mail"))
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("réponse au demandeur"), blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("demande de référencement")
        verbose_name_plural = _("demandes de référencement")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "requested_by"],
                condition=Q(purpose="claim", status="pending"),
                name="directory_one_pending_claim_per_account_and_entry",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_claim(self) -> bool:
        return self.purpose == self.Purpose.CLAIM
