"""Pages of the SNP roster: the professional's slots (member space), the team's week grid, the
public list of today's and this week's points, the iCal feed and the FHIR export."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.form_errors import add_errors_to_form
from apps.geo.models import Commune
from apps.geo.selectors import codes_within
from apps.members.models import Role
from apps.members.permissions import role_required
from apps.professionals.selectors import get_profile as get_professional_profile
from apps.territory.selectors import list_territory_commune_names
from tenants.access import public

from . import selectors, services
from .forms import GapRequestForm, PublicFilterForm, SlotForm
from .ical import build_feed


@role_required(Role.MEMBER)
def my_slots(request):
    form = SlotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("repeat", None)
        try:
            services.add_slot(actor=request.user, data=data)
        except ValidationError as error:
            add_errors_to_form(form, error)
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Créneau ajouté."))
            return redirect("roster:my_slots")
    profile = selectors.get_profile(request.user)
    feed_url = (
        request.build_absolute_uri(reverse("roster:feed", args=[profile.feed_token])) if profile else ""
    )
    return render(
        request,
        "roster/my_slots.html",
        {
            "form": form,
            "slots": selectors.list_own_slots(request.user),
            "profile": profile,
            "feed_url": feed_url,
            "has_professional_profile": get_professional_profile(request.user) is not None,
        },
    )


@require_POST
@role_required(Role.MEMBER)
def slot_delete(request, pk: int):
    slot = selectors.get_own_slot(request.user, pk)
    if slot is None:
        raise Http404
    services.delete_slot(actor=request.user, slot=slot)
    messages.success(request, _("Créneau supprimé."))
    return redirect("roster:my_slots")


@require_POST
@role_required(Role.MEMBER)
def gap_preference(request):
    try:
        services.set_gap_requests(actor=request.user, accepts=request.POST.get("accepts") == "1")
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Préférence enregistrée."))
    return redirect("roster:my_slots")


@public  # the secret token in the address is the key (calendar apps cannot sign in)
def feed(request, token: str):
    profile = selectors.get_profile_by_token(token)
    if profile is None:
        raise Http404
    body = build_feed(selectors.list_own_slots(profile.professional), community=connection.tenant)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="creneaux-snp.ics"'
    return response


# A week holds thousands of occurrences: each is one string built here (the place's name escaped
# once per page) rather than a dozen template lookups and filters, which made the two pages'
# rendering grow past their SQL.
def _cell_html(cell, escaped: dict[str, str]) -> str:
    parts = []
    for e in cell.occurrences:
        name = escaped.get(e.place_name)
        if name is None:
            name = escaped[e.place_name] = escape(e.place_name)
        parts.append(
            f"<div>{e.starts_at.isoformat(timespec='minutes')}–{e.ends_at.isoformat(timespec='minutes')} {name}</div>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - the only text, the place's name, is escaped


def _point_html(occurrence, *, with_day: bool) -> str:
    o = occurrence
    starts, ends = o.starts_at.strftime("%H:%M"), o.ends_at.strftime("%H:%M")
    tel = o.phone.replace(" ", "")
    if with_day:
        return format_html(
            '<li class="card"><h3>{} — {}, {}</h3><p>{}–{} · {} · Appeler le <a href="tel:{}">{}</a></p></li>',
            date_format(o.day, "l j F"), o.place_name, o.commune_name, starts, ends, o.address, tel, o.phone,
        )  # fmt: skip
    return format_html(
        '<li class="card"><h3>{} — {}</h3><p>{}–{} · {}</p><p>{} · Appeler le <a href="tel:{}">{}</a>{}</p></li>',
        o.place_name, o.commune_name, starts, ends, o.kind_label, o.address, tel, o.phone,
        format_html(" · {}", o.instructions) if o.instructions else "",
    )  # fmt: skip


@role_required(Role.TEAM)
def team_week(request):
    monday = selectors.parse_week(request.GET.get("semaine"))
    grid = selectors.week_grid(monday)
    escaped: dict[str, str] = {}
    for row in grid.rows:
        for cell in row.cells:
            cell.html = _cell_html(cell, escaped)
    return render(
        request,
        "roster/team_week.html",
        {
            "grid": grid,
            "week": selectors.week_label(monday),
            "previous_week": selectors.week_label(monday - timedelta(days=7)),
            "next_week": selectors.week_label(monday + timedelta(days=7)),
            "today": timezone.localdate(),
            "recipients": len(services.gap_request_recipients()),
        },
    )


@require_POST
@role_required(Role.TEAM)
def team_gap_request(request):
    form = GapRequestForm(request.POST)
    week = request.POST.get("semaine", "")
    if not form.is_valid():
        messages.error(request, _("Demande incomplète : choisissez une commune et un jour."))
    else:
        data = form.cleaned_data
        try:
            services.request_gap_fill(
                actor=request.user, commune_code=data["commune"], day=data["day"], message=data["message"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            commune = Commune.objects.filter(code=data["commune"]).first()
            messages.success(
                request,
                _("Les professionnels volontaires ont été sollicités pour %(commune)s le %(day)s.")
                % {
                    "commune": commune.name if commune else data["commune"],
                    "day": data["day"].strftime("%d/%m/%Y"),
                },
            )
    return redirect(f"{reverse('roster:team_week')}?semaine={week}" if week else reverse("roster:team_week"))


@role_required(Role.TEAM)
def team_fhir(request):
    monday = selectors.parse_week(request.GET.get("semaine"))
    bundle = selectors.fhir_week(monday, base_url=request.build_absolute_uri("/fhir/"))
    response = JsonResponse(bundle, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Type"] = "application/fhir+json; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="snp-{selectors.week_label(monday)}.fhir.json"'
    return response


@public
def public_points(request):
    """Today's remaining points then the week's, a page at a time, for the whole territory or one
    of its communes (``?commune=<INSEE code>``). An unknown commune is said under the filter and
    the whole list shown; the emergency numbers stay at the top of every page."""
    communes = list_territory_commune_names()
    form = PublicFilterForm(request.GET or None, communes=communes)
    chosen = form.cleaned_data["commune"] if form.is_valid() else ""
    page = selectors.public_points(
        communes=codes_within([chosen]) if chosen else None, page=request.GET.get("page")
    )
    today = timezone.localdate()
    today_points = [o for o in page.object_list if o.day == today]
    week_points = [o for o in page.object_list if o.day != today]
    return render(
        request,
        "roster/public.html",
        {
            "form": form,
            "page": page,
            "query_string": urlencode({"commune": chosen}) if chosen else "",
            "chosen_name": next((c.name for c in communes if c.code == chosen), ""),
            "today_points": mark_safe("".join(_point_html(o, with_day=False) for o in today_points)),  # noqa: S308
            "week_points": mark_safe("".join(_point_html(o, with_day=True) for o in week_points)),  # noqa: S308
        },
    )
