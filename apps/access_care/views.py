"""Pages of the médecin-traitant desk: the public request form, the team's queue, request,
capacity board, settings; the admins' permissions and access log. Every page that shows a patient
request writes one access-log row per request shown."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.geo.selectors import get_communes
from apps.members.models import Role
from apps.members.permissions import role_required
from apps.territory.selectors import list_territory_communes
from tenants.access import public
from tenants.client_ip import client_ip
from tenants.rate_limit import RateLimited

from . import selectors, services
from .forms import RequestForm, SettingsForm, StatusForm, TeamRequestForm
from .models import DEFAULT_WEIGHTS, Criterion, PatientRequest
from .permissions import desk_required, disabled_response

QUEUE_PAGE_SIZE = 50


def _form_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item)
    else:
        for message in error.messages:
            form.add_error(None, message)


# --- Public -------------------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def request_form(request):
    """« Je cherche un médecin traitant »: the public form (French, consent, honeypot, rate limit)."""
    if not services.is_enabled():
        return render(request, "access_care/public_unavailable.html", status=404)
    with translation.override("fr"):
        form = RequestForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            if form.is_spam:
                return redirect("access_care:request_sent")
            try:
                services.submit_public_request(
                    data=form.request_data(),
                    consent=form.cleaned_data["consent"],
                    client_ip=client_ip(request),
                )
            except ValidationError as error:
                _form_error(form, error)
                status = 400
            except RateLimited:
                form.add_error(
                    None,
                    _(
                        "Plusieurs demandes ont été envoyées depuis cette connexion en peu de temps. Merci "
                        "de réessayer plus tard, ou d'appeler la CPTS."
                    ),
                )
                status = 429
            else:
                return redirect("access_care:request_sent")
        elif request.method == "POST":
            status = 400
        return render(
            request,
            "access_care/request_form.html",
            {
                "form": form,
                "communes": list_territory_communes(),
                "retention_months": services.get_desk_settings().retention_months,
            },
            status=status,
        )


@public
def request_sent(request):
    return render(request, "access_care/request_sent.html")


# --- Team ---------------------------------------------------------------------------------------------


def _commune_names(codes) -> dict[str, str]:
    return {code: commune.name for code, commune in get_communes(set(codes)).items()}


@desk_required
def queue(request):
    """The triage queue, most urgent first, with the waiting time and filters."""
    filters = selectors.QueueFilters(
        status=request.GET.get("statut", "")
        if request.GET.get("statut", "") in PatientRequest.Status.values
        else "",
        commune=request.GET.get("commune", "")[:5],
        priority_only=request.GET.get("prioritaires") == "1",
        duplicates_only=request.GET.get("doublons") == "1",
    )
    page = Paginator(selectors.list_queue(filters), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    services.log_reads(
        actor=request.user, action="list", request_ids=[r.pk for r in rows], ip=client_ip(request)
    )
    today = timezone.localdate()
    names = _commune_names({r.commune for r in rows})
    # Labels and links resolved once per page, not once per row: at 50 rows, per-row translation
    # lookups and URL reversing were a measurable part of the page.
    group_labels = {c.value: str(c.label) for c in Criterion}
    status_labels = {value: str(label) for value, label in PatientRequest.Status.choices}
    detail_url = reverse("access_care:request", args=[0]).replace("/0/", "/{}/")
    return render(
        request,
        "access_care/queue.html",
        {
            "page": page,
            "rows": [
                {
                    "request": r,
                    "url": detail_url.format(r.pk),
                    "status": status_labels[r.status],
                    "waited": (today - timezone.localtime(r.created_at).date()).days,
                    "age": r.age_on(today),
                    "groups": ", ".join(group_labels[g] for g in r.groups(today)),
                    "commune": names.get(r.commune, r.commune),
                }
                for r in rows
            ],
            "filters": filters,
            "filter_query": _filter_query(filters),
            "statuses": PatientRequest.Status.choices,
            "communes": list_territory_communes(),
        },
    )


def _filter_query(filters: selectors.QueueFilters) -> str:
    """The queue's filters as a query string ending in ``&`` (or empty), for the page links."""
    query = urlencode(
        {
            key: value
            for key, value in (
                ("statut", filters.status),
                ("commune", filters.commune),
                ("prioritaires", "1" if filters.priority_only else ""),
                ("doublons", "1" if filters.duplicates_only else ""),
            )
            if value
        }
    )
    return f"{query}&" if query else ""


@desk_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    """A request taken by phone or at a desk."""
    form = TeamRequestForm(request.POST or None, initial={"channel": PatientRequest.Channel.PHONE})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.record_request(
                actor=request.user,
                data=form.request_data(),
                channel=form.cleaned_data["channel"],
                consent=form.cleaned_data["consent"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Demande enregistrée."))
            return redirect("access_care:request", created.pk)
    return render(
        request,
        "access_care/request_edit.html",
        {"form": form, "communes": list_territory_communes()},
        status=400 if form.errors else 200,
    )


def _get_request_or_404(pk: int) -> PatientRequest:
    found = selectors.get_request(pk)
    if found is None:
        raise Http404
    return found


def _open_request_or_404(request, pk: int, action: str = "view") -> PatientRequest:
    """The case shown to this team member, its reading traced (access log and audit log)."""
    found = selectors.open_request(request.user, pk, action=action, ip=client_ip(request))
    if found is None:
        raise Http404
    return found


@desk_required
def request_detail(request, pk: int):
    """One request: identity, situation, history, duplicate flag, proposals and ranked GPs."""
    patient = _open_request_or_404(request, pk)
    today = timezone.localdate()
    candidates = []
    if patient.status in (
        PatientRequest.Status.NEW,
        PatientRequest.Status.QUALIFIED,
        PatientRequest.Status.PROPOSED,
    ):
        candidates = selectors.rank_gps_for([patient], limit=8)[patient.pk]
    codes = {patient.commune, *patient.preferred_communes, *(c.capacity.practice_commune for c in candidates)}
    names = _commune_names(codes)
    for candidate in candidates:
        candidate.commune_name = names.get(
            candidate.capacity.practice_commune, candidate.capacity.practice_commune
        )
    return render(
        request,
        "access_care/request_detail.html",
        {
            "patient": patient,
            "age": patient.age_on(today),
            "groups": [Criterion(g).label for g in patient.groups(today)],
            "commune_name": names.get(patient.commune, patient.commune),
            "preferred_names": [names.get(code, code) for code in patient.preferred_communes],
            "changes": patient.changes.select_related("by"),
            "proposals": patient.proposals.select_related("gp"),
            "candidates": candidates,
            "status_form": StatusForm(current=patient.status),
            "duplicate": patient.possible_duplicate_of,
            "waited": (today - timezone.localtime(patient.created_at).date()).days,
        },
    )


@desk_required
@require_http_methods(["GET", "POST"])
def request_edit(request, pk: int):
    patient = _open_request_or_404(request, pk)
    form = TeamRequestForm(request.POST or None, initial=TeamRequestForm.initial_from(patient))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_request(
                actor=request.user, request=patient, data=form.request_data(), ip=client_ip(request)
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Demande mise à jour."))
            return redirect("access_care:request", patient.pk)
    return render(
        request,
        "access_care/request_edit.html",
        {"form": form, "patient": patient, "communes": list_territory_communes()},
        status=400 if form.errors else 200,
    )


@desk_required
@require_POST
def request_status(request, pk: int):
    patient = _get_request_or_404(pk)
    # All statuses accepted here: a move the request can no longer make (someone else moved it
    # meanwhile) gets the service's French reason, not a bare "invalid choice".
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_status(
                actor=request.user,
                request=patient,
                to_status=form.cleaned_data["status"],
                close_reason=form.cleaned_data.get("close_reason", ""),
                ip=client_ip(request),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Statut mis à jour."))
    else:
        messages.error(request, _("Choisissez un statut."))
    return redirect("access_care:request", patient.pk)


@desk_required
@require_POST
def request_propose(request, pk: int):
    patient = _get_request_or_404(pk)
    gp = get_user_model().objects.filter(pk=request.POST.get("gp") or 0).first()
    if gp is None:
        messages.error(request, _("Choisissez un médecin."))
        return redirect("access_care:request", patient.pk)
    try:
        services.propose(actor=request.user, request=patient, gp=gp, ip=client_ip(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Proposition envoyée au Dr %(name)s.") % {"name": gp.get_full_name() or gp.email}
        )
    return redirect("access_care:request", patient.pk)


@desk_required
def request_letter(request, pk: int):
    """The printable letter telling the patient which GP accepted them."""
    patient = _get_request_or_404(pk)
    if patient.found_gp_id is None or patient.anonymised_at:
        raise Http404
    patient = _open_request_or_404(request, pk, "letter")
    return render(
        request,
        "access_care/letter.html",
        {**services.patient_message(patient), "commune_line": _commune_line(patient)},
    )


def _commune_line(patient: PatientRequest) -> str:
    """« 45600 Sully-sur-Loire » under the street address of the letter, unless the address typed
    already carries a postcode (the form asks the commune apart from the address)."""
    if re.search(r"\b\d{5}\b", patient.address):
        return ""
    commune = get_communes({patient.commune}).get(patient.commune)
    if commune is None:
        return ""
    postcode = commune.postcodes[0] if len(commune.postcodes) == 1 else ""
    return f"{postcode} {commune.name}".strip()


@desk_required
def request_export(request, pk: int):
    patient = _get_request_or_404(pk)
    data = services.export_request(actor=request.user, request=patient, ip=client_ip(request))
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="demande-{patient.pk}.json"'
    return response


@desk_required
@require_POST
def request_erase(request, pk: int):
    patient = _get_request_or_404(pk)
    services.erase_request(actor=request.user, request=patient, ip=client_ip(request))
    messages.success(
        request, _("Les données de la personne ont été effacées ; la demande reste comptée, anonyme.")
    )
    return redirect("access_care:request", patient.pk)


@desk_required
def capacity_board(request):
    """This quarter's places declared by the GP members."""
    capacities = selectors.list_capacities()
    names = _commune_names({c.practice_commune for c in capacities})
    return render(
        request,
        "access_care/capacity.html",
        {
            "capacities": capacities,
            "names": names,
            "quarter": services.quarter_of(timezone.localdate()),
            "total_left": sum(c.left for c in capacities),
            "gps_without": selectors.list_gps()
            .exclude(pk__in=[c.gp_id for c in capacities])
            .order_by("last_name"),
        },
    )


@desk_required
@require_http_methods(["GET", "POST"])
def desk_settings(request):
    row = services.get_desk_settings()
    initial = {
        "retention_months": row.retention_months,
        "letter_subject": row.letter_subject,
        "letter_body": row.letter_body,
        **{f"weight_{key}": row.weights.get(key, DEFAULT_WEIGHTS[key]) for key in DEFAULT_WEIGHTS},
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_settings(
            actor=request.user,
            weights=form.weights(),
            retention_months=form.cleaned_data["retention_months"],
            letter_subject=form.cleaned_data["letter_subject"],
            letter_body=form.cleaned_data["letter_body"],
        )
        messages.success(
            request, _("Réglages enregistrés ; les priorités des demandes ouvertes sont recalculées.")
        )
        return redirect("access_care:settings")
    year = timezone.localdate().year
    since = services.start_of(date(year, 1, 1))
    return render(
        request,
        "access_care/settings.html",
        {"form": form, "summary": selectors.desk_summary(since, timezone.now()), "year": year},
        status=400 if form.errors else 200,
    )


# --- Admins -------------------------------------------------------------------------------------------


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def permissions(request):
    """Admins open or close the desk to team members (a permission, not a role)."""
    if not services.is_enabled():
        return disabled_response(request)
    if request.method == "POST":
        user = get_user_model().objects.filter(pk=request.POST.get("user") or 0).first()
        if user is None:
            raise Http404
        try:
            if request.POST.get("grant") == "1":
                services.grant_permission(actor=request.user, user=user)
            else:
                services.revoke_permission(actor=request.user, user=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("access_care:permissions")
    return render(request, "access_care/permissions.html", {"staff": selectors.list_desk_users()})


@role_required(Role.ADMIN)
def access_log(request):
    """The access log (12 months), newest first; admins only."""
    if not services.is_enabled() and not settings.HDS_HOSTING:
        return disabled_response(request)
    request_id = request.GET.get("demande", "")
    page = Paginator(
        selectors.list_access_log(request_id=int(request_id) if request_id.isdigit() else None), 100
    ).get_page(request.GET.get("page"))
    return render(request, "access_care/access_log.html", {"page": page, "request_id": request_id})
