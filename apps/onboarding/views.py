"""« Premiers pas »: the checklist a new CPTS's administrator follows, one screen per step
(identity, territory, directory, tiers, Stripe, first news, publication). Admins only: outsiders
get 404 and the team 403 (``role_required``); every read and write is in the current CPTS."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.geo.selectors import search_cantons, search_communes, search_epcis
from apps.members.models import Role
from apps.members.permissions import role_required
from apps.site.models import SiteSettings
from apps.site.selectors import get_site_settings
from apps.stripe_gateway import connect
from apps.stripe_gateway.client import StripeUnavailable
from apps.territory import selectors as territory_selectors
from tenants.selectors import current_community

from . import selectors, services
from .forms import FirstNewsForm, IdentityForm, TiersForm
from .selectors import STEP_URL_NAMES

admin_required = role_required(Role.ADMIN)
STEP_URLS = STEP_URL_NAMES


def _links(progress) -> list[tuple]:
    return [(state, reverse(STEP_URLS[state.step.key])) for state in progress.states]


def _render_step(request, key: str, template: str, context: dict, *, status: int = 200):
    progress = selectors.get_progress()
    return render(
        request,
        template,
        {
            "step": selectors.get_step(key),
            "progress": progress,
            "step_links": _links(progress),
            **context,
        },
        status=status,
    )


def _next(key: str):
    """After a step: the next one not done, or the checklist when everything is done."""
    following = selectors.next_step_after(key)
    return redirect(STEP_URLS[following.key] if following else "onboarding:overview")


@admin_required
def overview(request):
    progress = selectors.get_progress()
    next_state = progress.next_state
    return render(
        request,
        "onboarding/overview.html",
        {
            "progress": progress,
            "step_links": _links(progress),
            "next_url": reverse(STEP_URLS[next_state.step.key]) if next_state else "",
            "public_url": current_community().primary_url(),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def identity(request):
    site = get_site_settings()
    form = IdentityForm(request.POST or None, request.FILES or None, instance=site)
    if not site.contact_email:
        form.initial.setdefault("contact_email", request.user.email)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_identity(
                actor=request.user, site=form.save(commit=False), logo=form.cleaned_data["logo_file"]
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error("logo_file" if field == "logo" else None, errors)
        else:
            messages.success(request, _("Identité enregistrée."))
            return _next("identity")
    return _render_step(
        request, "identity", "onboarding/identity.html", {"form": form}, status=400 if form.errors else 200
    )


@admin_required
@require_http_methods(["GET", "POST"])
def territory(request):
    error = ""
    if request.method == "POST":
        try:
            services.finish_territory(actor=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, _("Territoire enregistré : l'annuaire se remplit."))
            return _next("territory")
    return _render_step(
        request,
        "territory",
        "onboarding/territory.html",
        {"error": error, **_picked_context()},
        status=400 if error else 200,
    )


def _picked_context() -> dict:
    return {
        "communes": territory_selectors.list_territory_communes(),
        "counters": territory_selectors.get_home_counters(),
    }


@admin_required
def territory_search(request):
    """htmx: communes (to tick, several at a time), intercommunalités and cantons (added whole)
    matching ``q``."""
    query = request.GET.get("q", "")
    return render(
        request,
        "onboarding/_territory_results.html",
        {
            "query": query,
            "results": search_communes(query, limit=12),
            "epcis": search_epcis(query),
            "cantons": search_cantons(query),
            "picked": set(territory_selectors.get_territory_codes()),
        },
    )


@admin_required
@require_POST
def territory_add(request):
    """Add the ticked communes, a whole EPCI or a whole canton; htmx gets the territory list back,
    a plain form post goes back to the step (a typed canton refused: the step again, the error
    under the field and the typed value kept)."""
    error = ""
    canton = request.POST.get("canton")
    try:
        added = services.add_to_territory(
            actor=request.user,
            codes=request.POST.getlist("codes"),
            epci=request.POST.get("epci", ""),
            canton=canton,
        )
    except ValidationError as exc:
        error = exc.messages[0]
        added = 0
    notice = "" if error else _("%(n)d commune(s) ajoutée(s).") % {"n": added}
    if request.htmx:
        return render(
            request,
            "onboarding/_territory_picked.html",
            {"error": error, "notice": notice, **_picked_context()},
            status=400 if error else 200,
        )
    if error and canton is not None:
        return _render_step(
            request,
            "territory",
            "onboarding/territory.html",
            {"canton_error": error, "canton_value": canton, **_picked_context()},
            status=400,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("onboarding:territory")


@admin_required
@require_POST
def territory_remove(request, code: str):
    services.remove_from_territory(actor=request.user, code=code)
    if request.htmx:
        return render(request, "onboarding/_territory_picked.html", _picked_context())
    return redirect("onboarding:territory")


@admin_required
@require_http_methods(["GET", "POST"])
def directory(request):
    if request.method == "POST":
        services.complete_step(actor=request.user, step="directory")
        return _next("directory")
    return _render_step(request, "directory", "onboarding/directory.html", selectors.directory_status())


@admin_required
@require_http_methods(["GET", "POST"])
def tiers(request):
    form = TiersForm(request.POST or None, tiers=selectors.list_active_tiers())
    if request.method == "POST" and form.is_valid():
        try:
            services.save_tiers(actor=request.user, prices=form.prices())
        except ValidationError as error:
            for pk, errors in error.message_dict.items():
                form.add_error(f"price_{pk}" if f"price_{pk}" in form.fields else None, errors)
        else:
            messages.success(request, _("Formules enregistrées."))
            return _next("tiers")
    return _render_step(
        request, "tiers", "onboarding/tiers.html", {"form": form}, status=400 if form.errors else 200
    )


@admin_required
@require_http_methods(["GET", "POST"])
def stripe(request):
    community = current_community()
    if request.method == "POST":
        return_url = request.build_absolute_uri(reverse("onboarding:stripe_return"))
        try:
            url = connect.start_onboarding(
                actor=request.user, community=community, refresh_url=return_url, return_url=return_url
            )
        except StripeUnavailable:
            messages.error(request, _("Stripe n'est pas configuré sur cette plateforme."))
            return redirect("onboarding:stripe")
        return redirect(url)
    return _render_step(
        request,
        "stripe",
        "onboarding/stripe.html",
        {
            "account": connect.get_connected_account(community),
            "card_available": connect.card_payments_available(community),
        },
    )


@admin_required
def stripe_return(request):
    """Stripe sends the administrator back here once the account is set up (or abandoned)."""
    account = connect.refresh_status(current_community())
    if account is not None and account.charges_enabled:
        services.complete_step(actor=request.user, step="stripe")
        messages.success(request, _("Votre compte Stripe est connecté : le paiement par carte est ouvert."))
        return _next("stripe")
    messages.warning(request, _("La connexion à Stripe n'est pas terminée."))
    return redirect("onboarding:stripe")


@admin_required
@require_http_methods(["GET", "POST"])
def news(request):
    community = current_community()
    form = FirstNewsForm(
        request.POST or None,
        initial={
            "title": _("Le site de %(name)s est ouvert") % {"name": community.designation},
            "body": _(
                "<p>Bienvenue sur le site de %(name)s. Vous y trouverez l'annuaire des professionnels "
                "de santé du territoire, nos événements et nos groupes de travail.</p>"
                "<p>Professionnels de santé du territoire : adhérez en ligne pour participer à nos "
                "projets.</p>"
            )
            % {"name": community.designation},
        },
    )
    if request.method == "POST" and form.is_valid():
        item = services.publish_first_news(
            actor=request.user, title=form.cleaned_data["title"], body=form.cleaned_data["body"]
        )
        messages.success(request, _("Actualité « %(title)s » publiée.") % {"title": item.title})
        return _next("news")
    return _render_step(
        request, "news", "onboarding/news.html", {"form": form}, status=400 if form.errors else 200
    )


@admin_required
@require_http_methods(["GET", "POST"])
def publish(request):
    progress = selectors.get_progress()
    if request.method == "POST":
        services.complete_step(actor=request.user, step="publish")
        messages.success(request, _("Votre site est en ligne : faites-le savoir !"))
        return redirect("onboarding:overview")
    site: SiteSettings = get_site_settings()
    return _render_step(
        request,
        "publish",
        "onboarding/publish.html",
        {
            "site": site,
            "missing": [s for s in progress.states if not s.done and s.step.key != "publish"],
            "public_url": current_community().primary_url(),
            **_picked_context(),
            **selectors.directory_status(),
        },
    )
