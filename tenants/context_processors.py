from django.conf import settings


def community(request) -> dict:
    tenant = getattr(request, "tenant", None)
    is_platform = tenant is None or tenant.is_platform
    return {
        "community": None if is_platform else tenant,
        # A suspended CPTS shows only what stays up (its emergency numbers): no menu to dead pages.
        "site_suspended": not is_platform and tenant.status == tenant.Status.SUSPENDED,
        "is_platform_site": is_platform,
        "platform_domain": settings.PLATFORM_DOMAIN,
        "membership": getattr(request, "membership", None),
    }
