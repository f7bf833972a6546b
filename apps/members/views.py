from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.forms import ExistingAccountForm, NewAccountForm
from apps.accounts.views import login_and_bind
from apps.professionals.forms import ProfessionalProfileForm
from apps.professionals.selectors import get_profile
from apps.professionals.services import save_profile
from tenants.access import public

from . import selectors, services
from .forms import InvitationForm, RoleChangeForm, SecurityPolicyForm
from .models import Membership, Role
from .permissions import check_role, role_required
from .space import landing_url, sections_context
from .standing import is_in_good_standing, refusal_for, standing_of


@role_required(Role.MEMBER, candidates=True)
def member_space(request):
    """« Mon espace »: the membership and profile, then the sections the apps above members
    register (apps/members/space.py: dues and receipts, memberships everywhere, paid registrations)."""
    return render(
        request,
        "members/member_space.html",
        {
            "membership": request.membership,
            "standing": standing_of(request.membership),
            "refusal": None if is_in_good_standing(request.membership) else refusal_for(request.membership),
            "profile": get_profile(request.user),
            **sections_context(request),
        },
    )


@role_required(Role.MEMBER, candidates=True)
def edit_profile(request):
    form = ProfessionalProfileForm(request.POST or None, instance=get_profile(request.user))
    if request.method == "POST" and form.is_valid():
        save_profile(actor=request.user, user=request.user, data=form.cleaned_data)
        messages.success(request, _("Profil enregistré : il vaut pour toutes vos CPTS."))
        return redirect("members:member_space")
    return render(request, "members/profile_form.html", {"form": form})


@role_required(Role.TEAM)
def team_space(request):
    form = InvitationForm()
    if request.method == "POST":
        check_role(request, Role.ADMIN)
        form = InvitationForm(request.POST)
        if form.is_valid():
            services.invite(
                actor=request.user, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
            )
            messages.success(
                request, _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("members:team_space")
    return render(
        request,
        "members/team_space.html",
        {
            "memberships": selectors.list_memberships().filter(is_active=True),
            "form": form,
            "can_invite": request.membership.has_role("admin"),
            "role_choices": Role.choices,
        },
    )


@public
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token: str):
    invitation = selectors.get_pending_invitation(token)
    if invitation is None:
        return render(request, "members/invitation_invalid.html", status=404)
    existing = get_user_model().objects.filter(email__iexact=invitation.email).first()
    signed_in_as_invitee = request.user.is_authenticated and request.user.email.lower() == invitation.email
    form = None
    if signed_in_as_invitee:
        user = request.user
    elif existing is not None:
        form = ExistingAccountForm(request.POST or None, user=existing, request=request)
        user = existing
    else:
        form = NewAccountForm(request.POST or None, email=invitation.email)
        user = None

    if request.method == "POST" and (form is None or form.is_valid()):
        if user is None:
            user = form.save()
        try:
            services.accept_invitation(invitation=invitation, user=user)
        except ValidationError as error:
            return render(
                request, "members/invitation_invalid.html", {"reason": error.messages[0]}, status=400
            )
        login_and_bind(request, user)
        messages.success(request, _("Bienvenue dans %(name)s !") % {"name": request.tenant.designation})
        landing = landing_url(request, selectors.get_membership(user))
        return redirect(landing or "members:member_space")
    return render(
        request,
        "members/invitation_accept.html",
        {"invitation": invitation, "form": form, "existing": existing, "signed_in": signed_in_as_invitee},
    )


@role_required(Role.ADMIN)
def security(request):
    """The CPTS's access rules: the admins may require a second factor of team and admin accounts."""
    required = selectors.staff_two_factor_required()
    form = SecurityPolicyForm(request.POST or None, initial={"staff_two_factor_required": required})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_staff_two_factor(
                actor=request.user,
                request_verified=request.user.is_verified(),
                required=form.cleaned_data["staff_two_factor_required"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("La double authentification est désormais exigée de l'équipe et des administrateurs.")
                if form.cleaned_data["staff_two_factor_required"]
                else _("La double authentification n'est plus exigée ; chacun peut la garder."),
            )
            return redirect("members:security")
    return render(
        request,
        "members/security.html",
        {"form": form, "required": required, "staff": selectors.list_staff_two_factor_status()},
        status=400 if form.errors else 200,
    )


@role_required(Role.ADMIN)
@require_http_methods(["POST"])
def change_member_role(request, pk: int):
    """An admin changes a person's role here (404 for a membership of no one here)."""
    membership = get_object_or_404(Membership, pk=pk, is_active=True)
    form = RoleChangeForm(request.POST)
    name = membership.user.get_full_name() or membership.user.email
    if not form.is_valid():
        messages.error(request, _("Choisissez un rôle de la liste."))
        return redirect("members:team_space")
    try:
        services.change_role(actor=request.user, membership=membership, role=form.cleaned_data["role"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s a désormais le rôle « %(role)s » ; un e-mail l'en informe.")
            % {"name": name, "role": Role(form.cleaned_data["role"]).label.lower()},
        )
    return redirect("members:team_space")


@role_required(Role.ADMIN)
@require_http_methods(["POST"])
def remove_member(request, pk: int):
    """An admin withdraws a person's role here (the last admin stays)."""
    membership = get_object_or_404(Membership, pk=pk, is_active=True)
    name = membership.user.get_full_name() or membership.user.email
    try:
        services.remove_member(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("%(name)s ne fait plus partie de la CPTS ; un e-mail l'en informe.") % {"name": name}
        )
    return redirect("members:team_space")
