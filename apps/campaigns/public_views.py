"""The public pages of the directory's opt-in (CPTS site, no login): ask, then confirm by the
link mailed to the address (double opt-in). Withdrawal is the unsubscribe link of any campaign."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenants.access import public
from tenants.client_ip import client_ip
from tenants.rate_limit import RateLimited

from . import consent
from .forms import OptInForm


@public
@require_http_methods(["GET", "POST"])
def optin_request(request, pk: int):
    """A professional of the directory (not a member) asks to hear from the CPTS."""
    entry = consent.public_entry(pk)
    form = OptInForm(request.POST or None)
    status = 200
    if request.method == "POST" and not entry.is_member:
        if form.is_valid():
            if form.is_spam:
                # A robot filling the honeypot gets a person's answer, and nothing is sent.
                return redirect("campaigns:optin_sent", pk=entry.pk)
            try:
                consent.request_opt_in(
                    entry=entry, address=form.cleaned_data["email"], client_ip=client_ip(request)
                )
            except RateLimited:
                form.add_error(None, _("Vous avez envoyé plusieurs demandes en peu de temps. Merci de réessayer "
                                       "dans une heure."))  # fmt: skip
                status = 429
            else:
                return redirect("campaigns:optin_sent", pk=entry.pk)
        else:
            status = 400
    return render(request, "campaigns/optin_request.html", {"entry": entry, "form": form}, status=status)


@public
def optin_sent(request, pk: int):
    return render(request, "campaigns/optin_sent.html", {"entry": consent.public_entry(pk)})


@public
@require_http_methods(["GET", "POST"])
def optin_confirm(request, token: str):
    """GET asks to confirm (a link scanner must not consent for anyone); POST records it."""
    entry, address = consent.read_confirmation(token)
    done = request.method == "POST"
    if done:
        consent.confirm_opt_in(entry=entry, address=address)
    return render(request, "campaigns/optin_confirm.html",
                  {"entry": entry, "address": address, "done": done, "token": token})  # fmt: skip
