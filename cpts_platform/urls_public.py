"""URLs of the platform host (PLATFORM_DOMAIN): platform site, operator console and API."""

from django.urls import include, path

from apps.compliance import audit_views, gdpr_views
from apps.members.api_views import CommunityRouter
from apps.notifications import views as notification_views
from cpts_platform.api_docs import ApiDocsView, ApiSchemaView
from cpts_platform.health import healthz, livez, readyz
from cpts_platform.observability import metrics
from tenants import views
from tenants.api.views import CommunityViewSet

router = CommunityRouter(trailing_slash="/?")
router.register("communities", CommunityViewSet, basename="community")

urlpatterns = [
    path("", views.platform_home, name="platform_home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("livez", livez, name="livez"),
    path("metrics", metrics, name="metrics"),
    path("", include("apps.site.urls_public")),
    path("console/", views.console, name="console"),
    path("console/journal/", audit_views.platform_audit_log, name="console_audit_log"),
    path("console/effacements/", gdpr_views.platform_erasure_requests, name="console_erasure_requests"),
    path("console/jeton/", views.regenerate_token, name="console_token"),
    path("console/cpts/<slug:slug>/statut/", views.change_status, name="console_status"),
    path("console/cpts/<slug:slug>/domaines/", views.manage_domain, name="console_domain"),
    path("console/cpts/<slug:slug>/archive/", gdpr_views.request_community_archive, name="console_export"),
    path("console/archives/", gdpr_views.community_archives, name="console_exports"),
    path("console/archives/<int:pk>/", gdpr_views.community_archive_download, name="console_export_download"),
    path("stripe/", include("apps.stripe_gateway.urls")),
    # The mail provider's delivery webhooks (bounces, complaints): apps/mailing/tracking.py.
    path("anymail/", include("apps.mailing.urls")),
    path("compte/", include("apps.accounts.urls")),
    # The weekly digest's one-click unsubscribe (one e-mail per account, across its CPTS).
    path(
        "lettre-de-la-semaine/desabonnement/<str:token>/",
        notification_views.digest_unsubscribe,
        name="digest_unsubscribe",
    ),
    path("api/v1/", include(router.urls)),
    path("api/schema/", ApiSchemaView.as_view(urlconf="cpts_platform.urls_public"), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="api_docs"),
]
