"""Base views of every API view: the ``access`` declaration (``tenants.access``) is enforced by
DRF's default permission (``apps.members.permissions.HasCommunityRole``) and cannot be weakened by
accident. A subclass defining ``permission_classes``, ``get_permissions``, ``get_queryset``… is
refused when the class is created, so is an extra action with its own ``permission_classes``; the
bypasses are spelled ``dangerously_get_permissions`` / ``dangerously_get_queryset`` so that a
review sees them (the rule of PostHog's ``posthog/api/routing.py``).
"""

from __future__ import annotations

from typing import ClassVar

from rest_framework import exceptions, generics, mixins, routers, viewsets
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from tenants.access import AUTHENTICATED, Access

from .permissions import CHECKED_ATTR

# What a subclass of the base views may not define: each would replace or loosen the check.
# The bypasses are the ``dangerously_`` methods, named so that a review sees them.
_FINAL = {
    "permission_classes": "declare `access` instead",
    "get_permissions": "define `dangerously_get_permissions` if you really must",
    "check_permissions": "the access declaration is checked by the base view",
    "check_object_permissions": "check objects in `safely_get_queryset` / the service",
    "get_queryset": "define `safely_get_queryset` (or `dangerously_get_queryset`)",
    "required_role": "declare `access = Access.role(...)`",
    "candidates_allowed": "declare `access = Access.role(..., candidates=True)`",
}


class CommunityAccessMixin:
    """Base of every API view (first in the bases): its ``access`` declaration is enforced by the
    default permission and cannot be loosened by a subclass (see ``_FINAL``), nor by an extra
    action's own ``permission_classes``. ``required_role`` / ``candidates_allowed`` are derived
    from the declaration (read by the members-only tests)."""

    # None: refused to everyone until the concrete view declares its access.
    access: ClassVar[Access | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, hint in _FINAL.items():
            if name in vars(cls):
                raise TypeError(f"{cls.__qualname__} may not define {name}: {hint}.")
        for attribute in vars(cls).values():
            if "permission_classes" in (getattr(attribute, "kwargs", None) or {}):
                raise TypeError(
                    f"{cls.__qualname__}.{attribute.__name__}: an action may not set its own "
                    "permission_classes; name its role in `access` (actions=...)."
                )
        if cls.access is not None and not isinstance(cls.access, Access):
            raise TypeError(f"{cls.__qualname__}.access must be a tenants.access.Access.")
        cls.required_role = cls.access.read_role if cls.access else None
        cls.candidates_allowed = cls.access.candidates if cls.access else False

    def get_permissions(self):
        if hasattr(self, "dangerously_get_permissions"):
            return self.dangerously_get_permissions()
        return [permission() for permission in api_settings.DEFAULT_PERMISSION_CLASSES]

    def get_queryset(self):
        """Fails closed: no queryset before the access check passed (schema generation aside)."""
        if hasattr(self, "dangerously_get_queryset"):
            return self.dangerously_get_queryset()
        if not getattr(self, "swagger_fake_view", False) and not getattr(self.request, CHECKED_ATTR, False):
            raise exceptions.PermissionDenied()
        return self.safely_get_queryset()

    def safely_get_queryset(self):
        """The view's queryset, built once the access check passed (override this one)."""
        return super().get_queryset()


class CommunityAPIView(CommunityAccessMixin, APIView):
    """An API view of a CPTS host."""


class CommunityGenericAPIView(CommunityAccessMixin, generics.GenericAPIView):
    """A generic API view of a CPTS host."""


class CommunityViewSet(CommunityAccessMixin, viewsets.ViewSet):
    """A viewset of a CPTS host without a model."""


class CommunityGenericViewSet(CommunityAccessMixin, viewsets.GenericViewSet):
    """A viewset of a CPTS host; add the mixins of its actions."""


class CommunityReadOnlyModelViewSet(
    CommunityAccessMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """A read-only model viewset of a CPTS host."""


class CommunityModelViewSet(
    CommunityAccessMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """A model viewset of a CPTS host."""


class CommunityRouter(routers.DefaultRouter):
    """The API's router: its root view (the list of endpoints) asks a signed-in account."""

    class APIRootView(CommunityAccessMixin, routers.APIRootView):
        access = AUTHENTICATED
