"""A person's data: download it all, or have the account erased (member space); the erasure
requests, for the admins of the CPTS concerned and for the operator; a CPTS's archive, for the
operator. Archives are built by a worker (``exports``), these views ask and serve."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tenants.utils import get_public_schema_name, schema_context

from apps.members.models import Role
from apps.members.permissions import role_required
from tenants.access import authenticated
from tenants.models import Community
from tenants.storage import file_response
from tenants.views import operator_required

from . import erasure, exports
from .models import DataExport


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "Je demande l'effacement de mon compte dans toutes mes CPTS. Je ne pourrai plus me connecter."
        ),
        error_messages={"required": gettext_lazy("Cochez la case pour confirmer l'effacement.")},
    )


@require_http_methods(["GET", "POST"])
@authenticated
def my_data(request):
    """What the platform holds about the signed-in person: download (zip) or erasure."""
    form = ErasureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        erasure.erase_account(actor=request.user)
        logout(request)
        messages.success(
            request,
            _(
                "Votre compte a été anonymisé. Les reçus de vos paiements sont conservés 10 ans, comme la loi l'exige."
            ),
        )
        return redirect("/")
    rows = [
        {
            "export": export,
            "state": exports.display_state(export),
            "downloadable": exports.is_downloadable(export),
        }
        for export in exports.personal_exports(request.user)
    ]
    return render(request, "compliance/my_data.html", {
        "form": form, "exports": rows, "days": exports.retention_days(),
    })  # fmt: skip


@require_POST
@authenticated
def my_data_archive(request):
    """Ask for the zip (JSON + files) of everything held about the signed-in person, across their
    CPTS: a worker builds it, the person gets an e-mail and downloads it from the page."""
    exports.request_personal_export(
        actor=request.user, page_url=request.build_absolute_uri(reverse("compliance:my_data"))
    )
    messages.success(
        request,
        _(
            "Votre archive est en préparation. Vous recevrez un e-mail dès qu'elle sera prête ; "
            "elle sera téléchargeable sur cette page pendant %(days)s jours."
        )
        % {"days": exports.retention_days()},
    )
    return redirect("compliance:my_data")


@require_GET
@authenticated
def my_data_download(request, pk: int):
    """The person's own archive, while it is valid; anyone else's is a 404, whoever asks."""
    with schema_context(get_public_schema_name()):
        export = DataExport.objects.filter(
            pk=pk, kind=DataExport.Kind.PERSON, requested_by=request.user
        ).first()
        if export is None or not exports.is_downloadable(export):
            raise Http404
        return file_response(
            export.file_name,
            filename=exports.download_name(export),
            as_attachment=True,
            content_type="application/zip",
        )


@require_POST
@operator_required
def request_community_archive(request, slug: str):
    """An operator asks for a CPTS's archive (tenants/transfer.py); a worker builds it."""
    community = get_object_or_404(Community.objects.exclude(schema_name="public"), schema_name=slug)
    exports.request_community_export(
        actor=request.user,
        community=community,
        page_url=request.build_absolute_uri(reverse("console_exports")),
    )
    messages.success(
        request,
        _("L'archive de « %(name)s » est en préparation ; vous recevrez un e-mail dès qu'elle sera prête.")
        % {"name": community.name},
    )
    return redirect("console_exports")


@require_GET
@operator_required
def community_archives(request):
    """The CPTS archives asked for, with their state and, while valid, the download link."""
    rows = [
        {
            "export": export,
            "state": exports.display_state(export),
            "downloadable": exports.is_downloadable(export),
        }
        for export in exports.community_exports()
    ]
    names = dict(Community.objects.values_list("schema_name", "name"))
    for row in rows:
        row["name"] = names.get(row["export"].schema_name, row["export"].schema_name)
    return render(request, "compliance/community_archives.html", {
        "rows": rows, "days": exports.retention_days(),
    })  # fmt: skip


@require_GET
@operator_required
def community_archive_download(request, pk: int):
    with schema_context(get_public_schema_name()):
        export = DataExport.objects.filter(pk=pk, kind=DataExport.Kind.COMMUNITY).first()
        if export is None or not exports.is_downloadable(export):
            raise Http404
        return file_response(
            export.file_name,
            filename=exports.download_name(export),
            as_attachment=True,
            content_type="application/gzip",
        )


@require_GET
@role_required(Role.ADMIN)
def team_erasure_requests(request):
    """Erasure requests of accounts that belonged to this CPTS."""
    return render(request, "compliance/erasure_requests.html", {
        "requests": erasure.list_requests_for_community(connection.schema_name), "back_url": "members:team_space",
    })  # fmt: skip


@require_GET
@operator_required
def platform_erasure_requests(request):
    return render(request, "compliance/erasure_requests.html", {
        "requests": erasure.list_all_requests(), "back_url": "console", "show_communities": True,
    })  # fmt: skip
