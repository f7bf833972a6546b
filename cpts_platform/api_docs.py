"""The API documentation page (/api/docs/) of the platform host and of every CPTS host.

Swagger UI comes from the pinned drf-spectacular-sidecar package through our static files (no
CDN, no floating version), its set-up script is a separate request instead of an inline script
(the Content-Security-Policy allows no inline script without a nonce), and the page is in French.
"""

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    title = "Documentation de l'API"
