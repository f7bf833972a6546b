from django.utils.functional import SimpleLazyObject

from .selectors import get_site_chrome


def site_chrome(request) -> dict:
    """Branding, menus and base URL of this CPTS's site, read lazily from the cache (none on the
    platform's own host)."""
    tenant = getattr(request, "tenant", None)
    is_platform = tenant is None or tenant.is_platform
    return {"site_chrome": None if is_platform else SimpleLazyObject(get_site_chrome)}
