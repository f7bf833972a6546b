"""Which page addresses the platform itself serves at the top of a CPTS's site.

The header links to the platform's own pages (annuaire, événements, projet de santé, adhésion…)
and the site menu to its fixed pages (actualités, FAQ, urgences, contact). A team page whose slug
is one of those addresses (``/pages/projet-de-sante/`` next to ``/projet-de-sante/``) would show
the same entry twice in the navigation, so it never enters a menu: the platform's page wins.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import Resolver404, resolve


@lru_cache(maxsize=512)
def platform_route(slug: str) -> str | None:
    """``/<slug>/`` if a page of the platform answers at that address on a CPTS host, else None.
    Pure URL resolution against the CPTS URLconf (no database, same answer for every CPTS)."""
    if not slug:
        return None
    path = f"/{slug}/"
    try:
        resolve(path, urlconf=settings.ROOT_URLCONF)
    except Resolver404:
        return None
    return path
