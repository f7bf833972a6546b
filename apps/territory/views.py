"""The team's territory page: pick communes (search by name, postcode or INSEE code), see the
counters, override the ACI size."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.geo.selectors import search_cantons, search_communes
from apps.members.models import Role
from apps.members.permissions import role_required

from . import selectors, services
from .forms import AciSizeForm, AddCantonForm, AddCommunesForm


@role_required(Role.TEAM)
@require_http_methods(["GET", "POST"])
def team(request):
    form = AddCommunesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.add_communes(actor=request.user, codes=form.cleaned_data["codes"])
        except ValidationError as error:
            form.add_error("codes", error.messages[0])
        else:
            # French plural rule: 0 and 1 take the singular.
            text = _("%(n)d commune ajoutée.") if len(added) < 2 else _("%(n)d communes ajoutées.")
            messages.success(request, text % {"n": len(added)})
            return redirect("territory:team")
    return _render_team(request, form=form)


def _render_team(request, *, form=None, canton_form=None):
    return render(
        request,
        "territory/team.html",
        {
            "form": form or AddCommunesForm(),
            "canton_form": canton_form or AddCantonForm(),
            "communes": selectors.list_territory_communes(),
            "counters": selectors.get_home_counters(),
            "aci_form": AciSizeForm(initial={"size": selectors.get_settings().aci_size_override}),
        },
    )


@role_required(Role.TEAM)
@require_POST
def add_canton(request):
    """Add every commune of a canton; errors under the canton field, nothing added then."""
    form = AddCantonForm(request.POST)
    if form.is_valid():
        try:
            canton, added = services.add_canton(actor=request.user, value=form.cleaned_data["canton"])
        except ValidationError as error:
            form.add_error("canton", error.messages[0])
        else:
            text = (
                _("Canton de %(name)s : %(n)d commune ajoutée.")
                if len(added) < 2
                else _("Canton de %(name)s : %(n)d communes ajoutées.")
            )
            messages.success(request, text % {"name": canton.name, "n": len(added)})
            return redirect("territory:team")
    return _render_team(request, canton_form=form)


@role_required(Role.TEAM)
def commune_search(request):
    """htmx: communes matching ``q``, with an "add" button each, then the cantons matching it
    (by name or holding one of those communes), each with an "add the canton" button."""
    query = request.GET.get("q", "")
    picked = set(selectors.get_territory_codes())
    results = search_communes(query, limit=15)
    cantons = search_cantons(query)
    return render(
        request,
        "territory/_search_results.html",
        {"results": results, "picked": picked, "cantons": cantons},
    )


@role_required(Role.TEAM)
@require_POST
def remove(request, code: str):
    if services.remove_commune(actor=request.user, code=code):
        messages.success(request, _("Commune retirée du territoire."))
    return redirect("territory:team")


@role_required(Role.TEAM)
@require_POST
def aci_size(request):
    form = AciSizeForm(request.POST)
    if form.is_valid():
        services.set_aci_size(actor=request.user, size=form.cleaned_data["size"])
        messages.success(request, _("Taille ACI enregistrée."))
    else:
        messages.error(request, _("Choisissez une taille entre 1 et 4."))
    return redirect("territory:team")
