"""Role checks against request.tenant. Outsiders (no role here) get 404: a CPTS does not reveal
what exists inside it; members lacking the right get 403.

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
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .models import Role
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

        # Read by the tests that walk every members-only route of the URLconf.
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


def api_refusal(refusal: Refusal) -> exceptions.PermissionDenied:
    """The API's 403 for members-only content: ``{"detail", "standing", "pay_url", "pay_label"}``."""
    return exceptions.PermissionDenied(detail=refusal.as_dict())


class HasCommunityRole(BasePermission):
    """DRF: the authenticated account holds ``required_role`` (view attribute) in request.tenant;
    for ``Role.MEMBER``, as a member à jour unless the view sets ``candidates_allowed = True``.

    Outsiders get 404 rather than 403 (see check_role).
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        request.membership = get_membership(request.user)
        try:
            check_role(
                request,
                getattr(view, "required_role", Role.MEMBER),
                candidates=getattr(view, "candidates_allowed", False),
            )
        except NotInGoodStanding as refusal:
            raise api_refusal(refusal.refusal) from refusal
        except PermissionDenied as denied:
            # DRF's own exceptions: the browsable API asks permissions for the forms it draws
            # (PATCH…) and only catches these; Django's would escape as a bare 403 page.
            raise exceptions.PermissionDenied() from denied
        except Http404 as missing:
            raise exceptions.NotFound() from missing
        return True
