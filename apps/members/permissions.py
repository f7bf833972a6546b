"""Role checks against request.tenant. Outsiders (no role here) get 404: a CPTS does not reveal
what exists inside it; members lacking the right get 403.

Every view declares its access (``tenants.access``) and the declaration is the check: pages with
``role_required`` (or ``public`` / ``authenticated``), API views by subclassing the base views of
``apps.members.api_views`` with an ``access`` attribute, enforced by DRF's default permission
``HasCommunityRole`` (this module imports no DRF view: DRF reads its default permission while its
own views module loads). Write services check their actor with ``require_role``.

``Role.MEMBER`` means a **member à jour** (``apps.members.standing``) unless the view explicitly
lets candidates in (``candidates=True`` / ``candidates_allowed = True``: the member space, the
dues pages). A candidate or lapsed member asking for members-only content gets a 403 that says why
in French and links to the payment page.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from tenants.access import AUTHENTICATED_KIND, OPERATOR_KIND, PUBLIC_KIND, Access
from tenants.actors import SYSTEM

from .models import Membership, Role
from .selectors import get_membership
from .standing import Refusal, is_in_good_standing, refusal_for


class NotInGoodStanding(PermissionDenied):
    """A candidate or lapsed member asked for members-only content (403 with the pay link)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


def check_role(request, role: str, *, candidates: bool = False) -> None:
    """Raise Http404 (no role here), PermissionDenied (role too low) or NotInGoodStanding
    (members-only content asked by a candidate or lapsed member, unless ``candidates``)."""
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404
    if not membership.has_role(role):
        raise PermissionDenied
    if not candidates and not is_in_good_standing(membership):
        raise NotInGoodStanding(refusal_for(membership))


def members_only_response(request, refusal: Refusal) -> HttpResponse:
    """The French 403 page shown to a candidate or lapsed member, with the pay link."""
    return render(request, "members/members_only.html", {"refusal": refusal}, status=403)


def role_required(role: str = Role.MEMBER, *, candidates: bool = False):
    """View decorator: sign-in, then ``check_role``; a members-only refusal (NotInGoodStanding,
    raised by the check or by the view itself) is rendered as the French 403 with the pay link."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                check_role(request, role, candidates=candidates)
                return view(request, *args, **kwargs)
            except NotInGoodStanding as refusal:
                return members_only_response(request, refusal.refusal)

        # The declaration enforced just above (tenants.access), read by the tests that walk the
        # URLconf; required_role / candidates_allowed spell it out for the members-only tests.
        wrapper.access = Access.role(role, candidates=candidates)
        wrapper.required_role = role
        wrapper.candidates_allowed = candidates
        return wrapper

    return decorator


def shows_members_only_refusal(view):
    """Decorator of a view open to everyone that refuses some objects to candidates and lapsed
    members (a members-only entry…) by raising NotInGoodStanding: renders the French 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotInGoodStanding as refusal:
            return members_only_response(request, refusal.refusal)

    return wrapper


_ROLE_REFUSALS = {
    Role.MEMBER: gettext_lazy("Cette action est réservée aux membres de la CPTS."),
    Role.TEAM: gettext_lazy("Cette action est réservée à l'équipe de la CPTS."),
    Role.ADMIN: gettext_lazy("Cette action est réservée aux administrateurs de la CPTS."),
}


def require_role(actor, role: str) -> Membership | None:
    """The write services' check of their actor: ``actor`` holds ``role`` (or a higher one) in
    the current CPTS. Returns the actor's membership (None for ``tenants.actors.SYSTEM``, the
    platform acting on its own, which holds every role); raises PermissionDenied with the reason in
    French otherwise (no membership here, anonymous or missing actor included)."""
    if actor is SYSTEM:
        return None
    membership = get_membership(actor) if actor is not None else None
    if membership is None:
        raise PermissionDenied(_("Vous n'êtes pas membre de cette CPTS."))
    if not membership.has_role(role):
        raise PermissionDenied(str(_ROLE_REFUSALS[Role(role)]))
    return membership


def api_refusal(refusal: Refusal) -> exceptions.PermissionDenied:
    """The API's 403 for members-only content: ``{"detail", "standing", "pay_url", "pay_label"}``."""
    return exceptions.PermissionDenied(detail=refusal.as_dict())


# Set on the request once its access check passed; the base views' get_queryset asks for it.
CHECKED_ATTR = "_community_access_checked"


class HasCommunityRole(BasePermission):
    """DRF's default permission: enforces the view's ``access`` declaration (``tenants.access``).

    Role access: the authenticated account holds the role asked for the request (by method or
    action) in request.tenant; for ``Role.MEMBER``, as a member à jour unless the declaration lets
    candidates in. Outsiders get 404 rather than 403 (see check_role). A view declaring nothing is
    refused to everyone: access never opens by omission (nor by an attribute of another
    convention, such as a bare ``required_role``).
    """

    def has_permission(self, request, view) -> bool:
        access = getattr(view, "access", None)
        if not isinstance(access, Access):
            raise exceptions.PermissionDenied(
                _("Accès non déclaré : cette adresse n'est ouverte à personne.")
            )
        if access.kind == PUBLIC_KIND:
            return self._passed(request)
        if not request.user or not request.user.is_authenticated:
            return False
        if access.kind == AUTHENTICATED_KIND:
            return self._passed(request)
        if access.kind == OPERATOR_KIND:
            return bool(request.user.is_operator) and self._passed(request)
        request.membership = get_membership(request.user)
        try:
            check_role(
                request,
                access.role_for(request.method, getattr(view, "action", None)),
                candidates=access.candidates,
            )
        except NotInGoodStanding as refusal:
            raise api_refusal(refusal.refusal) from refusal
        except PermissionDenied as denied:
            # DRF's own exceptions: the browsable API asks permissions for the forms it draws
            # (PATCH…) and only catches these; Django's would escape as a bare 403 page.
            raise exceptions.PermissionDenied() from denied
        except Http404 as missing:
            raise exceptions.NotFound() from missing
        return self._passed(request)

    @staticmethod
    def _passed(request) -> bool:
        setattr(request, CHECKED_ATTR, True)
        return True
