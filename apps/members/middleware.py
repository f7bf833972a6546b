"""Second factor for the staff of a CPTS that requires it (``SecurityPolicy``).

A signed-in account with the team or admin role here, whose session has not passed its TOTP
second factor, is sent to enter a code (or first to enrol an authenticator app) before any page
of this CPTS; the API answers 403 with the reason. Members and visitors are not affected, nor are
the account pages (``/compte/``: login, logout, second factor, password) and static files.
Runs after ``CommunitySessionMiddleware`` (``request.membership``) and django-otp's middleware
(``request.user.is_verified``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from .models import Role

EXEMPT_PREFIXES = ("/compte/", "/static/", "/healthz")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self._demand_second_factor(request) or self.get_response(request)

    def _demand_second_factor(self, request):
        membership = getattr(request, "membership", None)
        if membership is None or not membership.has_role(Role.TEAM):
            return None
        is_verified = getattr(request.user, "is_verified", None)
        if is_verified is None or is_verified() or request.path.startswith(EXEMPT_PREFIXES):
            return None
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from .selectors import staff_two_factor_required

        if not staff_two_factor_required():
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Cette CPTS exige la double authentification de son équipe : validez un code.")},
                status=403,
            )
        enrolled = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
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
