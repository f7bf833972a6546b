"""The member's notification page (preferences here, recent notifications everywhere) and the
one-click unsubscribe link (no login: the signed token is the proof)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from apps.members.models import Role
from apps.members.permissions import role_required
from tenants.access import public

from . import selectors, service
from .registry import get_kind


@role_required(Role.MEMBER, candidates=True)
def my_notifications(request):
    """Choose, per kind, how this CPTS tells me things, and whether I receive the weekly digest at
    all (one choice for the account, every CPTS); read what every CPTS of mine told me."""
    preferences = service.preferences_of(request.user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        with transaction.atomic():
            weekly = request.POST.get("lettre")
            if weekly == "oui":
                service.resume_digest(request.user)
            elif weekly == "non":
                service.stop_digest(request.user.pk)
            elif weekly is not None:
                errors["lettre"] = _("Choix de réception inconnu.")
            for row in preferences:
                kind = row["kind"]
                chosen = request.POST.get(f"kind-{kind.key}")
                if kind.transactional or chosen is None or chosen == row["channel"]:
                    continue
                try:
                    service.set_preference(actor=request.user, kind=kind.key, channel=chosen)
                except ValidationError as error:
                    errors[kind.key] = " ".join(error.messages)
        if not errors:
            messages.success(request, _("Vos préférences de notification sont enregistrées."))
            return redirect("notifications:mine")
        preferences = service.preferences_of(request.user)
    return render(
        request,
        "notifications/mine.html",
        {
            "preferences": [{**row, "error": errors.get(row["kind"].key, "")} for row in preferences],
            "recent": selectors.recent_everywhere(request.user),
            "receives_digest": service.receives_digest(request.user),
            "digest_error": errors.get("lettre", ""),
        },
        status=400 if errors else 200,
    )


@public  # Reached from an e-mail, signed in or not: the signed token is the check.
@csrf_exempt  # RFC 8058: the mail client POSTs « List-Unsubscribe=One-Click » with no CSRF token.
def unsubscribe(request, token: str):
    """GET: confirm the unsubscription (a link scanner must not unsubscribe anyone). POST: stop this
    kind of e-mail from this CPTS to the token's person."""
    named = service.read_unsubscribe_token(token)
    if named is None:
        raise Http404(_("Ce lien de désabonnement n'est pas valable ici."))
    declared = get_kind(named.kind)
    done = request.method == "POST"
    if done:
        service.unsubscribe(named)
    return render(request, "notifications/unsubscribe.html", {"kind": declared, "done": done, "token": token})


@public  # Reached from the weekly digest, signed in or not: the signed token is the check.
@csrf_exempt  # RFC 8058: the mail client POSTs « List-Unsubscribe=One-Click » with no CSRF token.
def digest_unsubscribe(request, token: str):
    """On the platform's host. GET: confirm (a link scanner must stop nobody's digest). POST: the
    account the token names receives no weekly digest any more, from any of its CPTS. A forged or
    altered token changes nothing (404, in French)."""
    user_id = service.read_digest_unsubscribe_token(token)
    if user_id is None:
        return render(request, "notifications/digest_unsubscribe.html", {"invalid": True}, status=404)
    done = request.method == "POST"
    if done:
        service.stop_digest(user_id)
    return render(request, "notifications/digest_unsubscribe.html", {"done": done, "token": token})
