"""The e-mail telling a listing requester the team's decision, through the one mail path
(apps.mailing.mail). Called by the worker (a thin task)."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.mailing import mail
from apps.notifications.service import notify

from .models import ListingRequest

LISTING_DECISION = "directory.listing_decision"


def notify_listing_requester(listing_id: int) -> str:
    """Tell the requester the team's decision, once (row locked, mailed, stamped). Returns "sent" or
    "skipped"."""
    community = connection.tenant
    with transaction.atomic():
        listing = ListingRequest.objects.select_for_update().filter(pk=listing_id).first()
        if (
            listing is None
            or listing.notified_at is not None
            or listing.status == ListingRequest.Status.PENDING
        ):
            return "skipped"
        accepted = listing.status == ListingRequest.Status.ACCEPTED
        message = {
            "key": f"directory.listing_decision:{listing.pk}",
            "subject": decision_subject(listing, community, accepted),
            "template": "directory/email/listing_decision",
            "context": {"listing": listing, "url": community.primary_url()},
        }
        account = listing.requested_by
        if account is not None and account.email.lower() == listing.email.lower():
            # A member's own request: also listed in their member space.
            outcome = notify(user=account, kind=LISTING_DECISION, url=community.primary_url(), **message)
        else:
            outcome = mail.send(to=listing.email, kind=LISTING_DECISION, **message)
        if not outcome.done:
            return "skipped"
        listing.notified_at = timezone.now()
        listing.save(update_fields=["notified_at"])
    return "sent"


def decision_subject(listing: ListingRequest, community, accepted: bool) -> str:
    if listing.is_claim:
        if accepted:
            return _("Votre fiche de l'annuaire de %(cpts)s vous est confiée") % {
                "cpts": community.designation
            }
        return _("Votre demande de revendication auprès de %(cpts)s") % {"cpts": community.designation}
    if accepted:
        return _("Votre fiche est publiée dans l'annuaire de %(cpts)s") % {"cpts": community.designation}
    return _("Votre demande de référencement auprès de %(cpts)s") % {"cpts": community.designation}
