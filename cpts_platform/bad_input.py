"""Requests whose query string cannot be stored or searched are refused up front with a 400.

PostgreSQL refuses a NUL character in any text value, so a ``%00`` in a query parameter that a
view passes on to a query raised a 500. Form fields and DRF serializer fields already refuse NUL
characters in what they validate (with a message under the field); query parameters are read in
many places by hand (filters, search boxes, pagination), so they are checked once here, for every
page and API route: an API answers ``{"detail": …}``, a page the French 400 page, each naming the
parameter.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"


def nul_parameter(request) -> str | None:
    """The name of the first query parameter whose name or a value holds a NUL character."""
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            return name.replace(NUL, "\\0")
    return None


class RejectNulParametersMiddleware:
    """Answers 400, with the reason, to a request with a NUL character in its query string."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = nul_parameter(request)
        if name is None:
            return self.get_response(request)
        reason = _("Le paramètre « %(name)s » contient un caractère nul, qui n'est pas accepté.") % {
            "name": name
        }
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": reason, "parameter": name}, status=400)
        return render(request, "400.html", {"reason": reason}, status=400)
