"""The GP's side, in their member space: this quarter's capacity, the proposals addressed to them
and the answer (accept or decline). Before accepting, the GP sees what the decision needs (age
group, commune, situation); name and phone only once they accepted. Every proposal shown is
written to the access log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.geo.selectors import commune_for_address, get_communes
from apps.members.models import Role
from tenants.client_ip import client_ip

from . import selectors, services
from .forms import CapacityForm
from .models import Criterion, Proposal
from .permissions import desk_required, second_factor_redirect


def member_space_section(request) -> dict:
    """« Mon espace » block of a GP member when the desk is on: places this quarter, proposals
    waiting for an answer."""
    user = request.user
    if not services.is_enabled() or not services.is_gp(user):
        return {}
    capacity = selectors.get_capacity(user)
    waiting = selectors.list_gp_proposals(user).filter(status=Proposal.Status.SENT).count()
    return {"access_care_gp": {"capacity": capacity, "waiting": waiting}}


def _require_gp(request) -> None:
    if not services.is_gp(request.user):
        raise PermissionDenied(_("Cet espace est réservé aux médecins membres de la CPTS."))


@desk_required(role=Role.MEMBER, permission=False)
@require_http_methods(["GET", "POST"])
def gp_space(request):
    """Capacity form and the list of proposals (no patient data in the list)."""
    _require_gp(request)
    capacity = selectors.get_capacity(request.user)
    profile = request.user.professional_profile
    if capacity is not None:
        initial = {
            "places": capacity.places,
            "groups": capacity.groups,
            "communes": capacity.communes,
            "practice_commune": capacity.practice_commune,
            "practice_name": capacity.practice_name,
            "practice_phone": capacity.practice_phone,
        }
    else:
        commune = commune_for_address(profile.postcode, profile.commune)
        initial = {
            "places": 0,
            "practice_commune": commune.code if commune else "",
            "practice_name": f"{profile.practice_place}, {profile.postcode} {profile.commune}".strip(", "),
            "practice_phone": profile.phone,
        }
    form = CapacityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.declare_capacity(
                actor=request.user,
                places=form.cleaned_data["places"],
                groups=form.cleaned_data["groups"],
                communes=form.cleaned_data["communes"],
                practice_commune=form.cleaned_data["practice_commune"],
                practice_name=form.cleaned_data["practice_name"],
                practice_phone=form.cleaned_data["practice_phone"],
            )
        except ValidationError as error:
            for field, errors in getattr(error, "error_dict", {None: error.error_list}).items():
                for item in errors:
                    form.add_error(field, item)
        else:
            messages.success(request, _("Vos places pour ce trimestre sont enregistrées. Merci !"))
            return redirect("access_care:gp_space")
    return render(
        request,
        "access_care/gp_space.html",
        {
            "form": form,
            "capacity": capacity,
            "quarter": services.quarter_of(timezone.localdate()),
            "proposals": selectors.list_gp_proposals(request.user)[:50],
        },
        status=400 if form.errors else 200,
    )


@desk_required(role=Role.MEMBER, permission=False)
@require_http_methods(["GET", "POST"])
def gp_proposal(request, pk: int):
    """One proposal: what the GP needs to decide, then accept or decline (login required: the
    e-mail only links here)."""
    _require_gp(request)
    proposal = selectors.get_gp_proposal(request.user, pk)
    if proposal is None:
        raise Http404
    if request.method == "POST":
        try:
            services.answer_proposal(
                actor=request.user,
                proposal=proposal,
                accept=request.POST.get("answer") == "accept",
                ip=client_ip(request),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Réponse enregistrée. La CPTS prévient le patient."))
        return redirect("access_care:gp_proposal", proposal.pk)
    patient = proposal.request
    show_identity = services.gp_sees_identity(proposal)
    if show_identity:
        # The patient's name and contact details are health data: shown only after the second
        # factor, like the desk's own pages.
        challenge = second_factor_redirect(request)
        if challenge is not None:
            return challenge
    services.log_access(
        actor=request.user,
        action="gp_view",
        request_id=patient.pk,
        detail=f"proposal {proposal.pk}",
        ip=client_ip(request),
    )
    today = timezone.localdate()
    age = patient.age_on(today)
    names = {code: c.name for code, c in get_communes({patient.commune}).items()}
    return render(
        request,
        "access_care/gp_proposal.html",
        {
            "proposal": proposal,
            "patient": patient,
            "age": age,
            "groups": [Criterion(g).label for g in patient.groups(today)],
            "commune": names.get(patient.commune, patient.commune),
            "show_identity": show_identity,
            "identity_days": services.GP_IDENTITY_DAYS,
        },
    )
