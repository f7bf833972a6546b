from django.conf import settings
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django_tenants.middleware.main import TenantMainMiddleware

from .models import Community

# What keeps people safe stays up while a CPTS is suspended: its emergency numbers, and the files
# (logo, icon) those pages show.
OPEN_WHILE_SUSPENDED = frozenset({"site:emergency", "site:file", "site:favicon"})


def _open_while_suspended(request) -> bool:
    try:
        match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return match.view_name in OPEN_WHILE_SUSPENDED


class CommunityMiddleware(TenantMainMiddleware):
    """Host → CPTS schema (django-tenants). Unknown host: 404, never the platform site.

    A CPTS still being provisioned or closed does not exist for visitors (404); a suspended one
    answers 503 with a French page, except its emergency numbers (``OPEN_WHILE_SUSPENDED``).
    ``/healthz``, ``/readyz`` and ``/livez`` stay reachable for probes.
    """

    def process_request(self, request):
        response = super().process_request(request)
        if response is not None:
            return response
        community = request.tenant
        if community.is_platform or community.status == Community.Status.ACTIVE:
            return None
        if request.path in ("/healthz", "/readyz", "/livez"):
            return None
        if community.status == Community.Status.SUSPENDED:
            # The pages that stay up need their stylesheet, scripts and icon.
            if _open_while_suspended(request) or request.path.startswith(settings.STATIC_URL):
                return None
            response = TemplateResponse(
                request, "tenants/suspended.html", {"community": community}, status=503
            )
            return response.render()
        raise Http404("CPTS inactive")
