"""Directory pages: public search and entry pages, the listing request form, claiming, and the
team's back-office (imports with progress, moderation queue, entry edits)."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.members.models import Role
from apps.members.permissions import NotInGoodStanding, role_required, shows_members_only_refusal
from apps.territory.selectors import list_territory_communes
from tenants.access import public
from tenants.client_ip import client_ip

from . import selectors, services
from .forms import (
    ClaimantForm,
    ClaimRequestForm,
    DecisionForm,
    EntryForm,
    ImportForm,
    ListingRequestForm,
    SearchForm,
)
from .models import Entry, ImportRun, ListingRequest, Place
from .plan import HEIGHT as PLAN_HEIGHT
from .plan import WIDTH as PLAN_WIDTH
from .plan import plan_points
from .search import search_entries

PAGE_SIZE = 20
# Listing requests one client address may send per hour (per CPTS: the cache key is tenant-prefixed).
LISTING_RATE = 5
LISTING_WINDOW = 60 * 60


@public
def directory(request):
    audience = selectors.audience_of(request.membership)
    form = SearchForm(request.GET or None, communes=list_territory_communes())
    filters = form.cleaned_data if form.is_valid() else {}
    results = search_entries(
        filters.get("q", ""),
        audience=selectors.MEMBERS if audience == selectors.TEAM else audience,
        family=filters.get("family", ""),
        profession=filters.get("profession", ""),
        commune=filters.get("commune", ""),
        accepts_new_patients=True if filters.get("new_patients") else None,
        page_size=PAGE_SIZE,
    )
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    prefetch_related_objects(entries, Prefetch("places", queryset=Place.objects.select_related("commune")))
    context = {
        "form": form,
        "page": page,
        "entries": entries,
        "results": results,
        "members_fields": selectors.sees_members_fields(audience),
        "query_string": _query_without_page(request),
        "plan": plan_points(entries),
        "plan_size": (PLAN_WIDTH, PLAN_HEIGHT),
    }
    template = "directory/_results.html" if request.htmx else "directory/directory.html"
    return render(request, template, context)


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@public
@shows_members_only_refusal
def entry_detail(request, pk: int):
    audience = selectors.audience_of(request.membership)
    refusal = selectors.members_only_refusal(request.membership, pk)
    if refusal is not None:
        raise NotInGoodStanding(refusal)
    entry = selectors.get_visible_entry(pk, audience)
    user = request.user
    claim_pending = selectors.has_pending_claim(user, entry)
    return render(
        request,
        "directory/entry.html",
        {
            "entry": entry,
            "members_fields": selectors.sees_members_fields(audience),
            "can_claim": not claim_pending and selectors.may_claim(user, audience, entry),
            "claim_pending": claim_pending,
            "is_claimant": user.is_authenticated and entry.claimed_by_id == user.pk,
            "can_edit": audience == selectors.TEAM,
        },
    )


@role_required(Role.MEMBER)
@require_http_methods(["GET", "POST"])
def claim(request, pk: int):
    """Ask the team to link this entry to one's account: a request the team accepts or refuses
    (it sees who asks and why); nothing public changes before."""
    entry = selectors.get_visible_entry(pk, selectors.audience_of(request.membership))
    form = ClaimRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_claim(
                actor=request.user,
                entry=entry,
                rpps=selectors.get_member_rpps(request.user),
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error(None, error)
            else:
                messages.error(request, error.messages[0])
                return redirect("directory:entry", pk=pk)
        else:
            messages.success(
                request,
                _(
                    "Demande envoyée à l'équipe de la CPTS : vous recevrez un e-mail dès qu'elle l'aura "
                    "examinée. La fiche ne change pas d'ici là."
                ),
            )
            return redirect("directory:entry", pk=pk)
    return render(request, "directory/claim.html", {"entry": entry, "form": form})


@role_required(Role.MEMBER)
@require_http_methods(["GET", "POST"])
def edit_own(request, pk: int):
    entry = get_object_or_404(Entry, pk=pk, claimed_by_id=request.user.pk)
    form = ClaimantForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        services.edit_claimed_entry(actor=request.user, entry=entry, changes=form.changes())
        messages.success(request, _("Votre fiche a été mise à jour."))
        return redirect("directory:entry", pk=pk)
    return render(request, "directory/edit_own.html", {"entry": entry, "form": form})


def _rate_limited(request) -> bool:
    """Count this request; True when the client sent too many in the window."""
    key = (
        "directory:listing-rate:"
        + hashlib.sha256((client_ip(request) or "unknown").encode()).hexdigest()[:24]
    )
    cache.add(key, 0, LISTING_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, LISTING_WINDOW)
        count = 1
    return count > LISTING_RATE


@public
@require_http_methods(["GET", "POST"])
def listing_request(request):
    form = ListingRequestForm(request.POST or None)
    if request.method == "POST":
        if _rate_limited(request):
            return render(
                request,
                "directory/listing_request.html",
                {"form": form, "rate_limited": True},
                status=429,
            )
        if form.is_valid():
            if not form.cleaned_data.get("fax_number"):
                data = {k: v for k, v in form.cleaned_data.items() if k != "fax_number"}
                services.submit_listing_request(data=data)
            # A robot filling the honeypot sees the same thanks page and stores nothing.
            return redirect("directory:listing_thanks")
    return render(request, "directory/listing_request.html", {"form": form})


@public
def listing_thanks(request):
    return render(request, "directory/listing_thanks.html")


@role_required(Role.TEAM)
@require_http_methods(["GET", "POST"])
def team(request):
    form = ImportForm()
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            run = services.start_import(
                actor=request.user,
                rpps_file=form.cleaned_data.get("rpps_file"),
                finess_file=form.cleaned_data.get("finess_file"),
            )
            messages.success(request, _("Import lancé : suivez sa progression ci-dessous."))
            return redirect(f"{request.path}#import-{run.pk}")
    withdrawn, withdrawn_count = selectors.list_withdrawn_entries()
    return render(
        request,
        "directory/team.html",
        {
            "form": form,
            "withdrawn": withdrawn,
            "withdrawn_count": withdrawn_count,
            "runs": selectors.list_import_runs(),
            "pending": selectors.list_pending_requests_with_requesters(),
            "decided": selectors.list_recent_decisions(),
            "decision_form": DecisionForm(),
            "has_territory": bool(list_territory_communes()),
        },
    )


@role_required(Role.TEAM)
def import_progress(request, pk: int):
    run = get_object_or_404(ImportRun, pk=pk)
    return render(request, "directory/_import_run.html", {"run": run})


@role_required(Role.TEAM)
@require_POST
def decide(request, pk: int):
    listing = get_object_or_404(ListingRequest, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez d'accepter ou de refuser la demande."))
        return redirect("directory:team")
    accept = form.cleaned_data["decision"] == "accept"
    try:
        services.decide_listing_request(
            actor=request.user, listing=listing, accept=accept, note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("directory:team")
    if accept:
        messages.success(request, _("Demande acceptée : la fiche est publiée et le demandeur prévenu."))
    else:
        messages.success(request, _("Demande refusée : le demandeur est prévenu."))
    return redirect("directory:team")


@role_required(Role.TEAM)
@require_http_methods(["GET", "POST"])
def edit_entry(request, pk: int | None = None):
    entry = get_object_or_404(Entry, pk=pk) if pk else Entry(kind="professional", family="liberal")
    form = EntryForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        if entry.pk:
            services.update_entry(
                actor=request.user,
                entry=entry,
                changes=form.entry_changes(),
                place_changes=form.place_changes(),
            )
        else:
            entry = services.create_entry(
                actor=request.user, fields=form.entry_changes(), place=form.place_changes()
            )
        messages.success(request, _("Fiche enregistrée."))
        return redirect("directory:entry", pk=entry.pk)
    return render(request, "directory/edit_entry.html", {"entry": entry, "form": form})
