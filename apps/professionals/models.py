"""A person's professional profile, shared by every CPTS the account belongs to (public schema).

``AccountCommunity`` is the public index of the CPTS an account holds a membership in, so the
member space can list them without scanning every schema (see selectors.list_account_communities).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .identifiers import ADELI, RPPS


class Profession(models.TextChoices):
    # Codes of the Annuaire Santé where one exists (CPTS.md §4).
    MEDECIN = "10", _("Médecin")
    PHARMACIEN = "21", _("Pharmacien")
    CHIRURGIEN_DENTISTE = "40", _("Chirurgien-dentiste")
    SAGE_FEMME = "50", _("Sage-femme")
    INFIRMIER = "60", _("Infirmier")
    KINESITHERAPEUTE = "70", _("Masseur-kinésithérapeute")
    PEDICURE = "80", _("Pédicure-podologue")
    ORTHOPHONISTE = "91", _("Orthophoniste")
    ORTHOPTISTE = "92", _("Orthoptiste")
    PSYCHOLOGUE = "93", _("Psychologue")
    DIETETICIEN = "86", _("Diététicien")
    ERGOTHERAPEUTE = "81", _("Ergothérapeute")
    TRAVAILLEUR_SOCIAL = "social", _("Travailleur social")
    AUTRE = "other", _("Autre profession")


class PracticeMode(models.TextChoices):
    LIBERAL = "L", _("Libéral")
    SALARIED = "S", _("Salarié")
    MIXED = "M", _("Mixte (libéral et salarié)")
    OTHER = "O", _("Autre")


class IdentifierType(models.TextChoices):
    """The national identifiers of a professional or a structure: one list for the professional's
    own profile and for the directory. Each model offers the subset it stores (below and
    ``apps.directory.models.ENTRY_IDENTIFIER_CHOICES``); their stored values are these."""

    RPPS = RPPS, _("RPPS")
    ADELI = ADELI, _("ADELI")
    FINESS = "finess", _("FINESS")
    SIRET = "siret", _("SIRET")
    NONE = "none", _("Aucun (profession sans numéro)")


# A profile says « no number » explicitly (professions without one); structures' numbers do not apply.
PROFILE_IDENTIFIER_CHOICES = [
    (kind.value, kind.label) for kind in (IdentifierType.RPPS, IdentifierType.ADELI, IdentifierType.NONE)
]


class ProfessionalProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="professional_profile"
    )
    profession = models.CharField(_("profession"), max_length=10, choices=Profession.choices)
    identifier_type = models.CharField(
        _("type d'identifiant"), max_length=5, choices=PROFILE_IDENTIFIER_CHOICES, default=IdentifierType.RPPS
    )
    identifier = models.CharField(_("numéro RPPS ou ADELI"), max_length=11, blank=True)
    practice_mode = models.CharField(_("mode d'exercice"), max_length=1, choices=PracticeMode.choices)
    practice_place = models.CharField(_("lieu d'exercice"), max_length=200)
    commune = models.CharField(_("commune"), max_length=120)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("mis à jour le"), default=timezone.now)

    class Meta:
        verbose_name = _("profil professionnel")
        verbose_name_plural = _("profils professionnels")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_profession_display()}"


class AccountCommunity(models.Model):
    """The account holds (or held) a membership in this CPTS. Written by apps.members.services."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("tenants.Community", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"], name="professionals_account_community_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.community_id}"
