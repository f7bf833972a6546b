"""Whole-page cache of a CPTS's public site, invalidated by any edit of the site.

Keys go through Django's cache, which prefixes them with the current schema
(``django_tenants.cache.make_key``), so CPTS never share an entry. Each entry records the per-CPTS
*site version* it was rendered under; an edit writes a new version (``invalidate_site``) and every
older entry stops being served at once (it is overwritten or expires by its TTL). A hit costs one
Redis round trip (MGET of the version and the page). Only anonymous GETs without pending messages
and without a CSRF token in the page are cached, so a cached page never carries anything personal.

Entries live at most ``PAGE_TTL`` seconds, and never past the next scheduled news publication,
so a scheduled item appears on time without any worker. Data owned by other apps (e.g. the
territory counters) therefore shows up within ``PAGE_TTL`` at worst; those apps may also call
``invalidate_site()``.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from functools import wraps

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone, translation

from tenants.access import PUBLIC

from .models import NewsItem

VERSION_KEY = "site:version"
CHROME_KEY = "site:chrome:{version}"
# Entries: (site version, content, headers). The CPTS's status is part of the key: the pages a
# suspended CPTS still shows have no menu (the operator's change does not touch the site version).
PAGE_KEY = "site:page4:{host}:{status}:{path}"
PAGE_TTL = 300
# Also bounds how long a change of name or territory by the operator takes to show.
CHROME_TTL = PAGE_TTL
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary")


def current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A time-based version never repeats, even if Redis evicted the key meanwhile.
        cache.add(VERSION_KEY, str(time.time_ns()), None)
        version = cache.get(VERSION_KEY)
    return version


def invalidate_site() -> None:
    """Forget every cached page and the site chrome of the current CPTS."""
    cache.set(VERSION_KEY, str(time.time_ns()), None)


def get_chrome() -> dict | None:
    return cache.get(CHROME_KEY.format(version=current_version()))


def set_chrome(chrome: dict) -> None:
    cache.set(CHROME_KEY.format(version=current_version()), chrome, CHROME_TTL)


def _cacheable_request(request) -> bool:
    tenant = getattr(request, "tenant", None)
    return (
        request.method in ("GET", "HEAD")
        and tenant is not None
        and not tenant.is_platform
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


def next_scheduled_publication(now: datetime | None = None) -> datetime | None:
    """When the next scheduled news item goes public (public pages must not be cached past it)."""
    now = now or timezone.now()
    return (
        NewsItem.objects.filter(status=NewsItem.Status.PUBLISHED, publish_at__gt=now)
        .order_by("publish_at")
        .values_list("publish_at", flat=True)
        .first()
    )


def _ttl() -> int:
    upcoming = next_scheduled_publication()
    if upcoming is None:
        return PAGE_TTL
    return max(1, min(PAGE_TTL, int((upcoming - timezone.now()).total_seconds())))


def public_page(view):
    """Decorator for public pages: render in French, serve from / store in the page cache. Declares
    the view public (``tenants.access``)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with translation.override("fr"):
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
            key = PAGE_KEY.format(host=request.get_host().lower(), status=request.tenant.status, path=digest)
            # One round trip (MGET) for the version and the page: the entry is valid only if it was
            # stored under the current version.
            found = cache.get_many([VERSION_KEY, key])
            version = found.get(VERSION_KEY) or current_version()
            hit = found.get(key)
            if hit is not None and hit[0] == version:
                _version, content, headers = hit
                response = HttpResponse(content)
                for name, value in headers.items():
                    response[name] = value
                response["X-Page-Cache"] = "hit"
                return response
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            storable = (
                response.status_code == 200
                and not response.streaming
                and not response.cookies
                and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
                and not getattr(request, "_site_page_uncacheable", False)
            )
            if storable:
                headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
                # Stored under the version read *before* rendering: an edit made meanwhile wins.
                cache.set(key, (version, response.content, headers), _ttl())
                response["X-Page-Cache"] = "miss"
            return response

    # One cached copy serves everyone: such a page is public by construction (tenants.access).
    wrapper.access = PUBLIC
    return wrapper
