"""A person's data: download it all, or have the account erased (member space); the erasure
requests, for the admins of the CPTS concerned and for the operator."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.audit.log import record
from apps.members.models import Role
from apps.members.permissions import role_required
from tenants.access import authenticated
from tenants.views import operator_required

from . import erasure, personal_data


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
    return render(request, "compliance/my_data.html", {"form": form})


@require_POST
@authenticated
def my_data_archive(request):
    """The zip (JSON + files) of everything held about the signed-in person, across their CPTS."""
    archive = personal_data.build_archive(request.user)
    record(request.user, "gdpr.data_exported", request.user, size=len(archive))
    response = HttpResponse(archive, content_type="application/zip")
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="mes-donnees-{stamp}.zip"'
    return response


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
