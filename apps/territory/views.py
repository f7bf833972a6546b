"""The team's territory page: pick communes (search by name, postcode or INSEE code), see the
counters, override the ACI size."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.geo.selectors import search_communes
from apps.members.models import Role
from apps.members.permissions import role_required

from . import selectors, services
from .forms import AciSizeForm, AddCommunesForm


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
    picked = selectors.list_territory_communes()
    counters = selectors.get_home_counters()
    return render(
        request,
        "territory/team.html",
        {
            "form": form,
            "communes": picked,
            "counters": counters,
            "aci_form": AciSizeForm(initial={"size": selectors.get_settings().aci_size_override}),
        },
    )


@role_required(Role.TEAM)
def commune_search(request):
    """htmx: communes matching ``q``, with an "add" button each."""
    picked = set(selectors.get_territory_codes())
    results = search_communes(request.GET.get("q", ""), limit=15)
    return render(request, "territory/_search_results.html", {"results": results, "picked": picked})


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
