"""The /api/v1/ of a CPTS host. Each app registers its viewsets here."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.members.api import MeView

router = DefaultRouter(trailing_slash="/?")

urlpatterns = [path("me", MeView.as_view(), name="api_me"), *router.urls]
