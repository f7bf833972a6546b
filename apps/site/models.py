"""The public website of one CPTS. Every table lives in the CPTS's own schema (tenant app).

Rich-text fields hold HTML that went through ``apps.richtext.clean_html`` on the way in
(services) and again on the way out (the ``rich`` template filter).
"""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_PRIMARY = "#0b5fa5"
DEFAULT_ACCENT = "#8a3b12"


def _unguessable_name(folder: str, filename: str) -> str:
    """``site/<folder>/<128 random bits>.<ext>``: a file's address cannot be guessed from its owner,
    its upload name or a neighbour's, so only pages that show it reveal it."""
    extension = PurePosixPath(filename).suffix.lower()
    return f"site/{folder}/{secrets.token_urlsafe(16)}{extension}"


def logo_path(instance, filename: str) -> str:
    return _unguessable_name("logo", filename)


def favicon_path(instance, filename: str) -> str:
    return _unguessable_name("favicon", filename)


def rich_image_name(extension: str) -> str:
    """``site/images/<128 random bits>`` (the widths are added to it): see ``_unguessable_name``."""
    return f"site/images/{secrets.token_urlsafe(16)}"


def hero_path(instance, filename: str) -> str:
    return _unguessable_name("hero", filename)


def news_image_path(instance, filename: str) -> str:
    return _unguessable_name("news", filename)


class SiteSettings(models.Model):
    """Branding and contact details of this CPTS's site: one row (pk=1) per schema.

    The CPTS's name and territory stay on ``tenants.Community`` (the operator's record); this row
    holds what the CPTS's team edits itself.
    """

    SINGLETON_ID = 1

    tagline = models.CharField(_("accroche"), max_length=200, blank=True)
    primary_color = models.CharField(_("couleur principale"), max_length=7, default=DEFAULT_PRIMARY)
    accent_color = models.CharField(_("couleur des liens"), max_length=7, default=DEFAULT_ACCENT)
    logo = models.ImageField(_("logo"), upload_to=logo_path, blank=True)
    favicon = models.ImageField(_("icône du site"), upload_to=favicon_path, blank=True)
    # Behind the home page's title, darkened so the white text keeps its contrast: decorative.
    hero_image = models.ImageField(_("image d'accueil"), upload_to=hero_path, blank=True)
    intro = models.TextField(_("présentation (page d'accueil)"), blank=True)
    join_call = models.TextField(_("appel à adhérer"), blank=True)
    contact_email = models.EmailField(
        _("adresse de l'équipe"),
        blank=True,
        help_text=_("Reçoit les messages du formulaire de contact et de la boîte à idées."),
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    address = models.CharField(_("adresse postale"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("réglages du site")
        verbose_name_plural = _("réglages du site")

    def __str__(self) -> str:
        return str(_("Réglages du site"))


class Mission(models.Model):
    """One of the things the CPTS does, shown on the home page (four are seeded)."""

    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    title = models.CharField(_("titre"), max_length=120)
    body = models.TextField(_("texte"))

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("mission")

    def __str__(self) -> str:
        return self.title


class Page(models.Model):
    class Menu(models.TextChoices):
        MAIN = "main", _("Menu principal")
        FOOTER = "footer", _("Pied de page")
        NONE = "none", _("Aucun menu")

    title = models.CharField(_("titre"), max_length=150)
    slug = models.SlugField(_("adresse"), max_length=80, unique=True)
    summary = models.CharField(
        _("résumé"), max_length=300, blank=True, help_text=_("Affiché par les moteurs de recherche.")
    )
    body = models.TextField(_("contenu"), blank=True)
    is_published = models.BooleanField(_("publiée"), default=False)
    menu = models.CharField(_("menu"), max_length=10, choices=Menu.choices, default=Menu.MAIN)
    position = models.PositiveSmallIntegerField(_("ordre dans le menu"), default=0)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("page")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("site:page", args=[self.slug])


class FaqItem(models.Model):
    question = models.CharField(_("question"), max_length=250)
    answer = models.TextField(_("réponse"))
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_published = models.BooleanField(_("publiée"), default=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("question fréquente")
        verbose_name_plural = _("questions fréquentes")

    def __str__(self) -> str:
        return self.question


class NewsItem(models.Model):
    """A news item is public once ``status`` is published and ``publish_at`` has passed
    (scheduled publication needs no worker: reads filter on the date)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publiée")

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=120, unique=True)
    summary = models.CharField(_("chapô"), max_length=300, blank=True)
    body = models.TextField(_("contenu"), blank=True)
    image = models.ImageField(_("image"), upload_to=news_image_path, blank=True)
    image_alt = models.CharField(_("description de l'image"), max_length=200, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(_("date de publication"), default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        ordering = ["-publish_at", "-id"]
        verbose_name = _("actualité")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("site:news_detail", args=[self.slug])

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.publish_at <= timezone.now()

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.publish_at > timezone.now()


class EmergencyNumber(models.Model):
    """National numbers are seeded (``is_national``): the team may hide them, not rewrite them.
    Local numbers are the team's own."""

    class Category(models.TextChoices):
        EMERGENCY = "emergency", _("Urgences")
        USEFUL = "useful", _("Autres numéros utiles")
        LOCAL = "local", _("Numéros locaux")

    category = models.CharField(
        _("rubrique"), max_length=10, choices=Category.choices, default=Category.LOCAL
    )
    number = models.CharField(_("numéro"), max_length=30)
    label = models.CharField(_("intitulé"), max_length=150)
    description = models.CharField(_("précision"), max_length=250, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_national = models.BooleanField(_("numéro national"), default=False, editable=False)
    is_visible = models.BooleanField(_("affiché"), default=True)

    class Meta:
        ordering = ["category", "position", "id"]
        verbose_name = _("numéro utile")
        verbose_name_plural = _("numéros utiles")

    def __str__(self) -> str:
        return f"{self.number} – {self.label}"

    @property
    def tel_href(self) -> str:
        return "tel:" + "".join(ch for ch in self.number if ch.isdigit() or ch == "+")


class VisitorMessage(models.Model):
    """A message sent through the contact form or the idea box, kept for the team."""

    class Kind(models.TextChoices):
        CONTACT = "contact", _("Contact")
        IDEA = "idea", _("Idée")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=150)
    email = models.EmailField(_("adresse e-mail"))
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("reçu le"), default=timezone.now, db_index=True)
    notified_at = models.DateTimeField(_("équipe prévenue le"), null=True, blank=True)
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("message reçu")
        verbose_name_plural = _("messages reçus")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.name}"


class SiteImage(models.Model):
    """An image inserted in rich text (pages, news, home text, events), stored in several widths
    (``files``: storage names, narrowest first) so pages can offer ``srcset``. Public once uploaded:
    its names are random, and only the pages that show it reveal them."""

    files = models.JSONField(_("fichiers"), default=list)
    widths = models.JSONField(_("largeurs"), default=list)
    height = models.PositiveIntegerField(_("hauteur (plus grande version)"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    # First seen in saved content by the orphan sweep (services.sweep_orphan_images): kept for good.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("image de contenu")
        verbose_name_plural = _("images de contenu")

    def __str__(self) -> str:
        return self.files[-1] if self.files else ""
