"""The API documentation page (/api/docs/) and schema (/api/schema/) of the platform host and of
every CPTS host, both public (declared like every API view, ``apps.members.api_views``).

Swagger UI comes from the pinned drf-spectacular-sidecar package through our static files (no
CDN, no floating version), its set-up script is a separate request instead of an inline script
(the Content-Security-Policy allows no inline script without a nonce), and the page is in French.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.members.api_views import CommunityAccessMixin
from tenants.access import PUBLIC


class ApiDocsView(CommunityAccessMixin, SpectacularSwaggerSplitView):
    access = PUBLIC
    template_name = "api/swagger_ui.html"
    title = "Documentation de l'API"


class ApiSchemaView(CommunityAccessMixin, SpectacularAPIView):
    access = PUBLIC
