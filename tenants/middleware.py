from django.http import Http404
from django.template.response import TemplateResponse
from django_tenants.middleware.main import TenantMainMiddleware

from .models import Community


class CommunityMiddleware(TenantMainMiddleware):
    """Host → CPTS schema (django-tenants). Unknown host: 404, never the platform site.

    A CPTS still being provisioned or closed does not exist for visitors (404); a suspended one
    answers 503 with a French page. ``/healthz`` stays reachable for probes.
    """

    def process_request(self, request):
        response = super().process_request(request)
        if response is not None:
            return response
        community = request.tenant
        if community.is_platform or community.status == Community.Status.ACTIVE:
            return None
        if request.path == "/healthz":
            return None
        if community.status == Community.Status.SUSPENDED:
            response = TemplateResponse(
                request, "tenants/suspended.html", {"community": community}, status=503
            )
            return response.render()
        raise Http404("CPTS inactive")
