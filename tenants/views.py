from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from .access import OPERATOR, public
from .forms import CommunityForm
from .models import Community
from .provisioning import (
    CommunityRequest,
    add_custom_domain,
    provision_community,
    remove_custom_domain,
    set_community_status,
)


def primary_domain_url(community: Community) -> str:
    """``community.primary_url()`` without a query when its domains are prefetched."""
    primary = next((d for d in community.domains.all() if d.is_primary), None)
    return primary.url() if primary else ""


@public
def platform_home(request):
    communities = (
        Community.objects.filter(status=Community.Status.ACTIVE)
        .exclude(schema_name="public")
        .prefetch_related("domains")
    )
    # Primary URLs from the prefetched domains: one query for the whole list, however many CPTS.
    listing = [
        {"name": c.name, "territory_summary": c.territory_summary, "url": primary_domain_url(c)}
        for c in communities
    ]
    return render(
        request,
        "tenants/platform_home.html",
        {
            "communities": listing,
            "contact_email": settings.PLATFORM_CONTACT_EMAIL,
            "meta_description": _(
                "La plateforme des CPTS : un site, des adhérents, un annuaire et un projet de santé pour "
                "chaque Communauté Professionnelle Territoriale de Santé."
            ),
        },
    )


def operator_required(view):
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_operator:
            raise PermissionDenied
        if settings.OPERATOR_2FA_REQUIRED and not request.user.is_verified():
            # Operators prove a second factor (TOTP) once per session; see apps/accounts/two_factor.py.
            return redirect(f"{reverse('accounts:two_factor_verify')}?next={request.path}")
        return view(request, *args, **kwargs)

    # The declaration enforced just above (tenants.access), read by the tests that walk the URLconf.
    wrapper.access = OPERATOR
    return wrapper


@operator_required
def console(request):
    form = CommunityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            community = provision_community(actor=request.user, request=CommunityRequest(**form.cleaned_data))
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                _("La CPTS « %(name)s » est ouverte sur %(url)s ; son administrateur a reçu une invitation.")
                % {"name": community.name, "url": community.primary_url()},
            )
            return redirect("console")
    communities = Community.objects.exclude(schema_name="public").prefetch_related("domains")
    token = Token.objects.filter(user=request.user).first()
    return render(
        request, "tenants/console.html", {"form": form, "communities": communities, "api_token": token}
    )


@require_POST
@operator_required
def regenerate_token(request):
    """Issue a new API token for the operator (the previous one stops working)."""
    Token.objects.filter(user=request.user).delete()
    Token.objects.create(user=request.user)
    messages.success(request, _("Nouveau jeton d'API créé ; l'ancien ne fonctionne plus."))
    return redirect("console")


@require_POST
@operator_required
def change_status(request, slug: str):
    community = get_object_or_404(Community.objects.exclude(schema_name="public"), schema_name=slug)
    try:
        set_community_status(actor=request.user, community=community, status=request.POST.get("status", ""))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("« %(name)s » : %(status)s.")
            % {"name": community.name, "status": community.get_status_display()},
        )
    return redirect("console")


@require_POST
@operator_required
def manage_domain(request, slug: str):
    """Add (``domain``) or remove (``remove``: a domain id) a custom domain of a CPTS."""
    community = get_object_or_404(Community.objects.exclude(schema_name="public"), schema_name=slug)
    try:
        if request.POST.get("remove"):
            remove_custom_domain(
                actor=request.user, community=community, domain_id=int(request.POST["remove"])
            )
            messages.success(request, _("Domaine retiré."))
        else:
            domain = add_custom_domain(
                actor=request.user, community=community, domain=request.POST.get("domain", "")
            )
            messages.success(
                request,
                _(
                    "%(domain)s répond maintenant pour « %(name)s » (faites pointer son DNS vers la plateforme)."
                )
                % {"domain": domain.domain, "name": community.name},
            )
    except (ValidationError, ValueError) as error:
        messages.error(
            request, error.messages[0] if isinstance(error, ValidationError) else _("Domaine inconnu.")
        )
    return redirect("console")
