"""The dues' e-mails, through the one notification service (``apps.notifications.service.notify``:
the member's preference for the reminders, the in-app list, then the one mail path — French, the
CPTS's name as sender, suppression list, idempotent key). The tasks in ``workers/dues.py`` hand these to
the renewal services, which claim and stamp each reminder themselves."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.notifications.service import notify
from tenants.selectors import current_community

from . import autorenew

REMINDER_KIND = "dues.reminder"
AUTORENEW_FAILED_KIND = "dues.autorenew_failed"


def send_reminder(reminder) -> None:
    """One reminder of a campaign (``renewals.send_campaign`` claims and stamps it); keyed by the
    reminder, so a retried task never sends it twice."""
    community = current_community()
    user = reminder.membership.user
    context = {"reminder": reminder, "user": user, "url": f"{community.primary_url()}adhesion/renouveler/"}
    if reminder.membership.auto_renew:
        tier = autorenew.tier_for(reminder.membership, reminder.year)
        context["amount"] = tier.price if tier else None
    notify(
        user=user,
        key=f"dues.reminder:{reminder.pk}",
        url=context["url"],
        subject=_("Votre adhésion %(year)s à %(cpts)s")
        % {"year": reminder.year, "cpts": community.designation},
        template="dues/email/reminder",
        context=context,
        kind=REMINDER_KIND,
    )


def tell_autorenew_failed(membership, year: int) -> None:
    """A member whose card was refused at automatic renewal, with the link to renew online. Sent at
    each refusal (a later retry refused again is news too)."""
    community = current_community()
    url = f"{community.primary_url()}adhesion/"
    # Told at each refusal: the key names the moment, so a later refusal is a new notification.
    notify(
        user=membership.user,
        key=f"dues.autorenew_failed:{membership.pk}:{year}:{timezone.now():%Y%m%d%H%M%S%f}",
        url=url,
        subject=_("Votre renouvellement %(year)s à %(cpts)s n'a pas abouti")
        % {"year": year, "cpts": community.designation},
        template="dues/email/autorenew_failed",
        context={"user": membership.user, "year": year, "url": url},
        kind=AUTORENEW_FAILED_KIND,
    )
