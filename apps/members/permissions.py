"""Role checks against request.tenant. Outsiders (no role here) get 404: a CPTS does not reveal
what exists inside it; members lacking the right get 403."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.permissions import BasePermission

from .models import Role


def check_role(request, role: str) -> None:
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404
    if not membership.has_role(role):
        raise PermissionDenied


def role_required(role: str = Role.MEMBER):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check_role(request, role)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class HasCommunityRole(BasePermission):
    """DRF: the authenticated account holds ``required_role`` (view attribute) in request.tenant.

    Outsiders get 404 rather than 403 (see check_role).
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        from .selectors import get_membership

        request.membership = get_membership(request.user)
        check_role(request, getattr(view, "required_role", Role.MEMBER))
        return True
