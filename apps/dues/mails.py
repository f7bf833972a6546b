"""The dues' e-mails, through the one mail path (``apps.mailing.mail.send``: French, the CPTS's
name as sender, suppression list, idempotent key). The tasks in ``workers/dues.py`` hand these to
the renewal services, which claim and stamp each reminder themselves."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.mailing import mail
from tenants.selectors import current_community

from . import autorenew


def send_reminder(reminder) -> None:
    """One reminder of a campaign (``renewals.send_campaign`` claims and stamps it); keyed by the
    reminder, so a retried task never sends it twice."""
    community = current_community()
    user = reminder.membership.user
    context = {"reminder": reminder, "user": user, "url": f"{community.primary_url()}adhesion/renouveler/"}
    if reminder.membership.auto_renew:
        tier = autorenew.tier_for(reminder.membership, reminder.year)
        context["amount"] = tier.price if tier else None
    mail.send(
        key=f"dues.reminder:{reminder.pk}",
        to=user.email,
        subject=_("Votre adhésion %(year)s à %(cpts)s")
        % {"year": reminder.year, "cpts": community.designation},
        template="dues/email/reminder",
        context=context,
        kind="dues.reminder",
    )


def tell_autorenew_failed(membership, year: int) -> None:
    """A member whose card was refused at automatic renewal, with the link to renew online. Sent at
    each refusal (a later retry refused again is news too)."""
    community = current_community()
    mail.send(
        key=None,
        to=membership.user.email,
        subject=_("Votre renouvellement %(year)s à %(cpts)s n'a pas abouti")
        % {"year": year, "cpts": community.designation},
        template="dues/email/autorenew_failed",
        context={"user": membership.user, "year": year, "url": f"{community.primary_url()}adhesion/"},
        kind="dues.autorenew_failed",
    )
