"""The /api/v1/ of a CPTS host. Each app registers its viewsets here."""

from django.urls import path

from apps.access_care.api import PatientRequestViewSet
from apps.aci.api import IndicatorViewSet
from apps.directory.api import DirectoryViewSet
from apps.dues.api import MemberMeView, TeamMemberViewSet
from apps.events.api import EventViewSet
from apps.health_projects.api import ActionViewSet, ProjectVersionViewSet
from apps.members.api import MeView
from apps.members.api_views import CommunityRouter
from apps.territory.api import TerritoryView

router = CommunityRouter(trailing_slash="/?")
router.register("directory", DirectoryViewSet, basename="directory")
router.register("events", EventViewSet, basename="events")
router.register("health-project/versions", ProjectVersionViewSet, basename="health-project-versions")
router.register("health-project/actions", ActionViewSet, basename="health-project-actions")
router.register("indicators", IndicatorViewSet, basename="indicators")
router.register("members", TeamMemberViewSet, basename="members")
router.register("access-care/requests", PatientRequestViewSet, basename="access-care-requests")

urlpatterns = [
    path("me", MeView.as_view(), name="api_me"),
    path("territory", TerritoryView.as_view(), name="api_territory"),
    path("members/me", MemberMeView.as_view(), name="api_members_me"),
    *router.urls,
]
