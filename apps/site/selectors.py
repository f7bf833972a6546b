"""Reads of the current CPTS's site. Every function assumes the connection is set to the CPTS's
schema (request.tenant or a TenantTask); cached values go through Django's cache, whose keys are
prefixed with the schema (django_tenants.cache.make_key)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import integrations, pagecache
from .models import EmergencyNumber, FaqItem, Mission, NewsItem, Page, SiteImage, SiteSettings, VisitorMessage
from .navigation import platform_route


def get_site_settings() -> SiteSettings:
    """The settings row of this CPTS, created with defaults if a schema predates the seed."""
    settings_row, _ = SiteSettings.objects.get_or_create(pk=SiteSettings.SINGLETON_ID)
    return settings_row


def file_url(field) -> str:
    """The address of a site file on this CPTS's own host (``site_file`` checks who may see it),
    never the storage's: a bucket's signed URL would expire inside cached pages."""
    if not field:
        return ""
    # The same address TenantFileSystemStorage gives: MEDIA_URL/<schema>/<name> (views.media_url_pattern).
    return f"{settings.MEDIA_URL}{connection.schema_name}/{quote(field.name)}"


class FileAudience:
    """Who may fetch a site file: everyone, the team only (its owner is not published), or nobody."""

    PUBLIC = "public"
    TEAM = "team"


def get_site_file_audience(name: str) -> str | None:
    """Who may see the stored file ``name`` (``site/…``), decided by the row that owns it.

    The logo, the icon and the home page's image are public; a news image is public while its item is, and team-only
    before (draft, scheduled); a file no row names (deleted, replaced, never saved) is nobody's: None.
    """
    if not name:
        return None
    if SiteSettings.objects.filter(Q(logo=name) | Q(favicon=name) | Q(hero_image=name)).exists():
        return FileAudience.PUBLIC
    if name.startswith("site/images/") and SiteImage.objects.filter(files__contains=[name]).exists():
        return FileAudience.PUBLIC
    item = NewsItem.objects.filter(image=name).only("status", "publish_at").first()
    if item is None:
        return None
    return FileAudience.PUBLIC if item.is_public else FileAudience.TEAM


def get_site_chrome() -> dict:
    """What every page of this CPTS's site needs around its content: colours, logo, menus, base URL.

    Plain data, cached until the next edit of the site (see pagecache.invalidate_site).
    """
    cached = pagecache.get_chrome()
    if cached is not None:
        return cached
    row = get_site_settings()
    community = connection.tenant
    pages = list(
        Page.objects.filter(is_published=True)
        .exclude(menu=Page.Menu.NONE)
        .values("title", "slug", "menu")
        .order_by("position", "title")
    )

    def entries(menu: str) -> list[dict]:
        # A page named like one of the platform's own pages is already in the navigation.
        return [
            {"title": p["title"], "url": Page(slug=p["slug"]).get_absolute_url()}
            for p in pages
            if p["menu"] == menu and platform_route(p["slug"]) is None
        ]

    chrome = {
        "name": community.name,
        "territory": community.territory_summary,
        "tagline": row.tagline,
        "primary_color": row.primary_color,
        "accent_color": row.accent_color,
        "logo_url": file_url(row.logo),
        "favicon_url": file_url(row.favicon),
        "contact_email": row.contact_email,
        "phone": row.phone,
        "address": row.address,
        "base_url": community.primary_url().rstrip("/"),
        "main_menu": entries(Page.Menu.MAIN),
        "footer_menu": entries(Page.Menu.FOOTER),
        # Modules owned by other apps: the desk's switch invalidates the chrome at once
        # (apps.access_care.hooks); the roster's slots show within CHROME_TTL.
        "care_links": integrations.care_links(),
    }
    pagecache.set_chrome(chrome)
    return chrome


def list_missions() -> QuerySet[Mission]:
    return Mission.objects.all()


def list_published_pages() -> QuerySet[Page]:
    return Page.objects.filter(is_published=True)


def get_published_page(slug: str) -> Page | None:
    return Page.objects.filter(slug=slug, is_published=True).first()


def list_pages() -> QuerySet[Page]:
    return Page.objects.order_by("menu", "position", "title")


def list_published_faq() -> QuerySet[FaqItem]:
    return FaqItem.objects.filter(is_published=True)


def list_faq() -> QuerySet[FaqItem]:
    return FaqItem.objects.all()


def list_public_news(now: datetime | None = None) -> QuerySet[NewsItem]:
    now = now or timezone.now()
    return NewsItem.objects.filter(status=NewsItem.Status.PUBLISHED, publish_at__lte=now)


def get_public_news(slug: str) -> NewsItem | None:
    return list_public_news().filter(slug=slug).first()


def list_news() -> QuerySet[NewsItem]:
    return NewsItem.objects.select_related("author")


def list_visible_numbers() -> dict[str, list[EmergencyNumber]]:
    """Visible numbers grouped by rubric, in display order (emergency, useful, local)."""
    groups: dict[str, list[EmergencyNumber]] = {value: [] for value in EmergencyNumber.Category.values}
    for number in EmergencyNumber.objects.filter(is_visible=True):
        groups[number.category].append(number)
    return groups


def list_numbers() -> QuerySet[EmergencyNumber]:
    return EmergencyNumber.objects.all()


def list_messages(kind: str | None = None) -> QuerySet[VisitorMessage]:
    messages = VisitorMessage.objects.all()
    return messages.filter(kind=kind) if kind else messages


def count_unhandled_messages() -> int:
    return VisitorMessage.objects.filter(handled_at__isnull=True).count()
