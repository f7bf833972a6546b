"""The team's campaign pages (French). Every view is the team's (``role_required(Role.TEAM)``):
an account of another CPTS gets 404, a member 403; a campaign is looked up in this CPTS's schema
only, so another CPTS's campaign id is a 404 too."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.members.models import Role
from apps.members.permissions import role_required

from . import segments, selectors, services
from .forms import AudienceForm, CampaignForm, ScheduleForm, SenderForm
from .models import Campaign, SenderSettings


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


@role_required(Role.TEAM)
def campaign_list(request):
    campaigns = list(selectors.list_campaigns()[:100])
    return render(
        request,
        "campaigns/list.html",
        {"campaigns": campaigns, "sender": SenderSettings.load(), "describe": segments.describe},
    )


@role_required(Role.TEAM)
def sender_settings(request):
    form = SenderForm(request.POST or None, instance=SenderSettings.load())
    if request.method == "POST" and form.is_valid():
        services.save_sender(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Expéditeur enregistré."))
        return redirect("campaigns:list")
    return render(request, "campaigns/sender.html", {"form": form})


def _compose(request, campaign: Campaign | None):
    initial_audience = segments.Audience.from_dict(campaign.audience if campaign else {}).as_dict()
    form = CampaignForm(request.POST or None, instance=campaign, prefix="c")
    audience_form = AudienceForm(request.POST or None, initial=initial_audience, prefix="a")
    if request.method == "POST" and form.is_valid() and audience_form.is_valid():
        try:
            saved = services.save_campaign(
                actor=request.user,
                campaign=campaign,
                data=form.cleaned_data,
                audience=audience_form.audience(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Campagne enregistrée. Vérifiez l'aperçu avant l'envoi."))
            return redirect("campaigns:detail", pk=saved.pk)
    count = None
    if audience_form.is_bound and audience_form.is_valid():
        count = segments.count(audience_form.audience())
    elif not audience_form.is_bound:
        count = segments.count(segments.Audience.from_dict(initial_audience))
    return render(
        request,
        "campaigns/form.html",
        {"form": form, "audience_form": audience_form, "campaign": campaign, "count": count},
    )


@role_required(Role.TEAM)
def campaign_create(request):
    return _compose(request, None)


@role_required(Role.TEAM)
def campaign_edit(request, pk: int):
    campaign = selectors.get_campaign(pk)
    if not campaign.is_editable:
        messages.error(request, _("Cette campagne est déjà partie : elle ne peut plus être modifiée."))
        return redirect("campaigns:detail", pk=pk)
    return _compose(request, campaign)


@role_required(Role.TEAM)
def campaign_detail(request, pk: int):
    campaign = selectors.get_campaign(pk)
    audience = segments.Audience.from_dict(campaign.audience)
    progress = selectors.progress(campaign)
    count = segments.count(audience) if campaign.is_editable else progress.total
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "audience_label": segments.describe(audience),
            "count": count,
            "progress": progress,
            "schedule_form": ScheduleForm(),
            "community": connection.tenant,
        },
    )


@role_required(Role.TEAM)
@require_POST
def campaign_test(request, pk: int):
    campaign = selectors.get_campaign(pk)
    try:
        address = services.send_test(actor=request.user, campaign=campaign)
    except OSError:
        messages.error(request, _("Le serveur d'envoi ne répond pas : réessayez dans quelques minutes."))
    else:
        messages.success(request, _("Message de test envoyé à %(email)s.") % {"email": address})
    return redirect("campaigns:detail", pk=pk)


@role_required(Role.TEAM)
@require_POST
def campaign_send(request, pk: int):
    campaign = selectors.get_campaign(pk)
    at = None
    if request.POST.get("when") == "later":
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return redirect("campaigns:detail", pk=pk)
        at = form.cleaned_data["scheduled_at"]
    try:
        services.schedule_campaign(actor=request.user, campaign=campaign, at=at)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if at is None:
            messages.success(request, _("Envoi lancé."))
        else:
            messages.success(request, _("Envoi programmé."))
    return redirect("campaigns:detail", pk=pk)


@role_required(Role.TEAM)
@require_POST
def campaign_cancel(request, pk: int):
    campaign = selectors.get_campaign(pk)
    try:
        services.cancel_campaign(actor=request.user, campaign=campaign)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Campagne annulée : rien n'a été envoyé."))
    return redirect("campaigns:detail", pk=pk)


@role_required(Role.TEAM)
@require_GET
def campaign_progress(request, pk: int):
    campaign = selectors.get_campaign(pk)
    data = selectors.progress(campaign).as_dict()
    data["status"] = campaign.status
    data["status_label"] = campaign.get_status_display()
    return JsonResponse(data)


@role_required(Role.TEAM)
@require_GET
def audience_count(request):
    """The live recipient count of the compose page: the audience fields (prefix ``a-``) in the
    query string; 400 with the reasons when they are not valid."""
    form = AudienceForm(request.GET, prefix="a")
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    audience = form.audience()
    return JsonResponse({"count": segments.count(audience), "label": segments.describe(audience)})
