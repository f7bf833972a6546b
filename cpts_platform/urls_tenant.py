"""URLs of a CPTS host (<slug>.PLATFORM_DOMAIN or a custom domain)."""

from django.urls import include, path

from apps.site import views as site_views
from cpts_platform.api_docs import ApiDocsView, ApiSchemaView
from cpts_platform.health import healthz, livez, readyz

urlpatterns = [
    path("", site_views.home, name="home"),
    path("", include("apps.site.urls")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("livez", livez, name="livez"),
    path("compte/", include("apps.accounts.urls")),
    path("", include("apps.members.urls")),
    path("", include("apps.directory.urls")),
    path("", include("apps.territory.urls")),
    path("", include("apps.dues.urls")),
    path("", include("apps.events.urls")),
    path("", include("apps.health_projects.urls")),
    path("", include("apps.working_groups.urls")),
    path("", include("apps.aci.urls")),
    path("", include("apps.onboarding.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.dashboard.urls")),
    path("", include("apps.roster.urls")),
    path("", include("apps.campaigns.urls")),
    path("", include("apps.compliance.urls")),
    path("", include("apps.access_care.urls")),
    path("api/v1/", include("cpts_platform.api_tenant")),
    path("api/schema/", ApiSchemaView.as_view(urlconf="cpts_platform.urls_tenant"), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="api_docs"),
]
