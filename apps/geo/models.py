"""The national communes reference, in the public schema, shared by every CPTS (read-only data
loaded by ``manage.py load_communes`` from ``apps/geo/data/communes.csv.gz``)."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _


class Commune(models.Model):
    class Kind(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        ARRONDISSEMENT = "arrondissement", _("Arrondissement municipal")

    code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.COMMUNE)
    # Paris, Lyon and Marseille arrondissements point to their commune (75056, 69123, 13055).
    parent_code = models.CharField(_("commune de rattachement"), max_length=5, blank=True)
    department = models.CharField(_("département"), max_length=3)
    region = models.CharField(_("région"), max_length=3, blank=True)
    postcodes = ArrayField(models.CharField(max_length=5), verbose_name=_("codes postaux"), default=list)
    population = models.PositiveIntegerField(_("population municipale"), default=0)
    # Former codes and codes of delegated/associated communes now part of this one.
    aliases = ArrayField(models.CharField(max_length=5), verbose_name=_("anciens codes"), default=list)
    is_current = models.BooleanField(_("en vigueur"), default=True)
    search_name = models.CharField(max_length=200, editable=False)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]
        indexes = [
            GinIndex(fields=["search_name"], opclasses=["gin_trgm_ops"], name="geo_commune_name_trgm"),
            GinIndex(fields=["postcodes"], name="geo_commune_postcodes"),
            GinIndex(fields=["aliases"], name="geo_commune_aliases"),
            models.Index(fields=["parent_code"], name="geo_commune_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_arrondissement(self) -> bool:
        return self.kind == self.Kind.ARRONDISSEMENT


class Dataset(models.Model):
    """Which version of a shipped reference file is loaded (its checksum), so loading is a no-op
    when nothing changed."""

    name = models.CharField(max_length=50, unique=True)
    checksum = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("jeu de données")

    def __str__(self) -> str:
        return self.name


class Epci(models.Model):
    """An intercommunalité à fiscalité propre (communauté de communes, d'agglomération, urbaine,
    métropole) and its member communes, to add a whole one to a territory at once."""

    code = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, blank=True)
    population = models.PositiveIntegerField(_("population municipale"), default=0)
    members = ArrayField(models.CharField(max_length=5), verbose_name=_("communes membres"), default=list)
    search_name = models.CharField(max_length=200, editable=False)

    class Meta:
        verbose_name = _("intercommunalité")
        verbose_name_plural = _("intercommunalités")
        ordering = ["name"]
        indexes = [
            GinIndex(fields=["search_name"], opclasses=["gin_trgm_ops"], name="geo_epci_name_trgm"),
            GinIndex(fields=["members"], name="geo_epci_members"),
        ]

    def __str__(self) -> str:
        return self.name


class CommuneCentre(models.Model):
    """A commune's centre (WGS 84: its town hall, else the centroid of its largest polygon), for
    distances between communes. Kept apart from ``Commune``: it comes from another source
    (``data/centres.csv.gz``, built by ``data/build_centres.py``), which lacks a few communes; a
    commune without a centre is simply at an unknown distance."""

    code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        verbose_name = _("centre de commune")

    def __str__(self) -> str:
        return f"{self.code} ({self.latitude:.4f}, {self.longitude:.4f})"


class Canton(models.Model):
    """A canton (an electoral division of a department) and the communes whose centre lies in it,
    to add a whole canton to a territory at once (``data/cantons.csv.gz``)."""

    code = models.CharField(_("code"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    department = models.CharField(_("département"), max_length=3)
    members = ArrayField(models.CharField(max_length=5), verbose_name=_("communes"), default=list)
    search_name = models.CharField(max_length=200, editable=False)

    class Meta:
        verbose_name = _("canton")
        verbose_name_plural = _("cantons")
        ordering = ["department", "name"]
        indexes = [
            GinIndex(fields=["search_name"], opclasses=["gin_trgm_ops"], name="geo_canton_name_trgm"),
            GinIndex(fields=["members"], name="geo_canton_members"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.department})"
