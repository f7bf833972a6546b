"""Consent of the directory's professionals to hear from the CPTS (``DirectoryOptIn``).

Given by e-mail double opt-in from the public page of an entry (``request_opt_in`` mails a signed
link, ``confirm_opt_in`` records the consent when it is followed and confirmed); withdrawn by the
unsubscribe link of any campaign (``withdraw_on_unsubscribe``, registered with the notification
service in ``CampaignsConfig.ready``).
"""

from __future__ import annotations

from django.core import signing
from django.db import connection, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.directory.models import Entry
from apps.directory.search import PUBLIC, visible_entries
from apps.mailing import mail
from apps.notifications import service as notifications
from tenants import rate_limit

from .models import DirectoryOptIn
from .sending import CAMPAIGN_KIND


def withdraw_on_unsubscribe(address: str, kind: str) -> None:
    """An address that unsubscribed from the CPTS's campaigns withdrew its directory consent."""
    if kind != CAMPAIGN_KIND:
        return
    DirectoryOptIn.objects.filter(email__iexact=address, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )


# A confirmation link is good for a week.
CONFIRMATION_MAX_AGE = 7 * 24 * 3600
CONFIRMATION_SALT = "campaigns.directory-optin"
# Requests per visitor address and hour (the other public forms' order of magnitude).
REQUEST_RATE = 5
REQUEST_WINDOW = 3600


def public_entry(pk: int) -> Entry:
    """An entry the public sees in this CPTS's directory, else 404."""
    entry = visible_entries(PUBLIC).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def confirmation_token(entry: Entry, address: str) -> str:
    """Signed: this CPTS, this entry, this address (only this CPTS's site honours it)."""
    return signing.dumps(
        {"s": connection.schema_name, "e": entry.pk, "a": address.strip().lower()},
        salt=CONFIRMATION_SALT, compress=True,
    )  # fmt: skip


def read_confirmation(token: str) -> tuple[Entry, str]:
    """(entry, address) of a valid, unexpired token made for this CPTS; else 404."""
    try:
        data = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    if not isinstance(data, dict) or data.get("s") != connection.schema_name:
        raise Http404
    return public_entry(int(data["e"])), str(data["a"])


def request_opt_in(*, entry: Entry, address: str, client_ip: str) -> None:
    """A visitor asks that ``address`` hear from this CPTS as the professional of ``entry``: the
    confirmation link is mailed to that address; nothing is recorded before it is followed.
    Raises ``RateLimited`` past ``REQUEST_RATE`` requests an hour from one visitor address."""
    rate_limit.hit("campaigns:optin", client_ip, limit=REQUEST_RATE, window=REQUEST_WINDOW)
    community = mail.current_community()
    path = reverse("campaigns:optin_confirm", args=[confirmation_token(entry, address)])
    mail.send(
        key=None,
        to=address,
        subject=_("Confirmez votre inscription aux messages de %(name)s") % {"name": community.designation},
        template="campaigns/email/optin_confirmation",
        context={"entry": entry, "confirm_url": f"{community.primary_url().rstrip('/')}{path}"},
        kind="campaigns.optin_confirmation",
    )


def confirm_opt_in(*, entry: Entry, address: str) -> DirectoryOptIn:
    """Record (or renew) the consent the confirmation link proves; undoes an earlier
    unsubscription from the CPTS's campaigns. Idempotent."""
    with transaction.atomic():
        optin = DirectoryOptIn.objects.select_for_update().filter(entry=entry, email__iexact=address).first()
        if optin is None:
            optin = DirectoryOptIn.objects.create(entry=entry, email=address)
        elif optin.withdrawn_at is not None:
            optin.withdrawn_at = None
            optin.consented_at = timezone.now()
            optin.save(update_fields=["withdrawn_at", "consented_at"])
        notifications.resubscribe(address, CAMPAIGN_KIND)
    return optin
