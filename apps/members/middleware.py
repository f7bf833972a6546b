"""Per-CPTS request state: ``MembershipMiddleware`` sets ``request.membership``; then
``StaffTwoFactorMiddleware`` asks the second factor before any page: of every account that turned it on (« Mon compte »),
and of the staff of a CPTS that requires it (``SecurityPolicy``), who are first sent to enrol.

A signed-in session that has not passed its TOTP code (or a recovery code) is sent to the code page;
the session API answers 403 with the reason; an htmx fragment request gets ``HX-Redirect``. Not
affected: visitors, token-authenticated API calls, the account pages (``/compte/``: login, logout,
second factor, password) and static files. Runs after ``MembershipMiddleware``
(``request.membership``) and django-otp's middleware (``request.user.is_verified``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Role
from .selectors import get_membership, staff_two_factor_required

EXEMPT_PREFIXES = ("/compte/", "/static/", "/healthz")


class MembershipMiddleware:
    """Sets ``request.membership``: the account's active role in this CPTS, or None (visitors, the
    platform host, no tenant). One indexed query for signed-in requests on a CPTS host. Runs right
    after ``CommunitySessionMiddleware``, which makes a session opened on another CPTS anonymous."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        on_cpts = tenant is not None and not tenant.is_platform
        request.membership = get_membership(request.user) if on_cpts else None
        return self.get_response(request)


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self._demand_second_factor(request) or self.get_response(request)

    def _demand_second_factor(self, request):
        user = request.user
        is_verified = getattr(user, "is_verified", None)
        if not user.is_authenticated or is_verified is None or is_verified():
            return None
        if request.path.startswith(EXEMPT_PREFIXES):
            return None
        enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        membership = getattr(request, "membership", None)
        staff_rule = membership is not None and membership.has_role(Role.TEAM) and staff_two_factor_required()
        # An account that turned the second factor on is asked for it everywhere; staff of a CPTS
        # that requires it are asked even before they turn it on (then sent to enrol).
        if not (enrolled or staff_rule):
            return None
        if request.path.startswith("/api/"):
            reason = (
                _("Cette CPTS exige la double authentification de son équipe : validez un code.")
                if staff_rule
                else _("Validez d'abord le code de double authentification de votre compte.")
            )
            return JsonResponse({"detail": reason}, status=403)
        target = reverse("accounts:two_factor_verify" if enrolled else "accounts:two_factor_enrol")
        htmx = HtmxDetails(request)  # django-htmx's middleware runs after this one
        if htmx:
            # A fragment request (progress bar, live search): send the whole page to the code
            # page, back to the page itself afterwards, not the fragment's address.
            page = htmx.current_url_abs_path or "/"
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{target}?{urlencode({'next': page})}"
            return response
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
