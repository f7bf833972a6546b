"""The /api/v1/ of a CPTS host. Each app registers its viewsets here."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.dues.api import MemberMeView, TeamMemberViewSet
from apps.members.api import MeView

router = DefaultRouter(trailing_slash="/?")
router.register("members", TeamMemberViewSet, basename="members")

urlpatterns = [
    path("me", MeView.as_view(), name="api_me"),
    path("members/me", MemberMeView.as_view(), name="api_members_me"),
    *router.urls,
]
