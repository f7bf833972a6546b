"""Who reaches the desk: a role in this CPTS (declared and enforced by ``role_required``, so the
walk test asks it of outsiders and lower roles), then three checks of this app, in order: the
module is on (else the French explanation), the admin granted the account « accès aux soins »
(else 403), and the session passed its second factor (else the code page, or enrolment first).
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.members.models import Role
from apps.members.permissions import role_required

from . import services


def disabled_response(request):
    """The team's page while the module is off: an explanation, not an error (200)."""
    return render(request, "access_care/disabled.html", {"hds": settings.HDS_HOSTING})


def second_factor_redirect(request):
    """Where a session that has not passed its second factor is sent (None when it has)."""
    if request.user.is_verified():
        return None
    enrolled = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    target = reverse("accounts:two_factor_verify" if enrolled else "accounts:two_factor_enrol")
    return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


def desk_required(view=None, *, role: str = Role.TEAM, permission: bool = True):
    """Page decorator: ``role_required(role)``, module on, then (``permission``) the « accès aux
    soins » permission and a passed second factor."""

    def decorator(view):
        @role_required(role)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not services.is_enabled():
                return disabled_response(request)
            if permission:
                if not services.has_permission(request.user):
                    raise PermissionDenied(
                        _("L'accès aux soins ne vous a pas été ouvert par un administrateur de la CPTS.")
                    )
                pending = second_factor_redirect(request)
                if pending is not None:
                    return pending
                # The sidebar asks the same two questions: answered for this request already.
                request.access_care_open = True
            return view(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def desk_is_on(request) -> bool:
    """Sidebar condition of the admins' entries: the module is on for this CPTS."""
    return services.is_enabled()


def desk_is_open_to(request) -> bool:
    """Sidebar condition of the team's entries: the module is on and the admin opened it to this
    account (least access: the others would only meet a 403)."""
    if getattr(request, "access_care_open", False):
        return True
    return services.is_enabled() and services.has_permission(request.user)


def second_factor_reason(request) -> str:
    """The rule registered with ``apps.accounts.hooks``: holders of « accès aux soins » here keep
    their second factor."""
    membership = getattr(request, "membership", None)
    if membership is not None and services.has_permission(request.user):
        return _(
            "Vous avez accès aux demandes de l'accès aux soins (données de santé) : la double authentification est obligatoire."
        )
    return ""
