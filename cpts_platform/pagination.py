"""The API's page numbers: a malformed one is bad input (400 with the reason), not a missing page.

DRF answers 404 « Page non valide » both to ``?page=abc`` and to a page past the end. Past the end
is indeed a missing page (404 kept); a value that is not a page number is the client's mistake.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        value = request.query_params.get(self.page_query_param)
        if (
            value is not None
            and value not in self.last_page_strings
            and not (value.isascii() and value.isdigit() and int(value) > 0)
        ):
            raise ValidationError(
                {self.page_query_param: [_("Le numéro de page doit être un entier positif (1, 2, 3…).")]}
            )
        return super().paginate_queryset(queryset, request, view)
