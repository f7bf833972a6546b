"""What the payments code tells people through the one notification service
(``apps.notifications.service.notify``): the team of a CPTS told of a chargeback.

The kind is declared in ``PaymentsConfig.ready``."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from apps.members.models import Membership, Role
from apps.notifications.service import notify
from tenants.selectors import current_community

from . import registry
from .models import DISPUTE_REASONS, Payment

DISPUTE_KIND = "payments.dispute"


def team_accounts() -> list:
    """The accounts of this CPTS's team (team and admin roles, active), who handle its money."""
    return [
        membership.user
        for membership in Membership.objects.filter(is_active=True, role__in=[Role.TEAM, Role.ADMIN])
        .select_related("user")
        .order_by("pk")
    ]


def tell_team_of_dispute(payment: Payment, dispute: dict) -> int:
    """Each team account of the current CPTS is told that the payer's bank disputes ``payment``
    (``dispute``: Stripe's Dispute object from the signed event), with the link to the page where
    the team sees the payment. Once per dispute and account: the notification's key names the
    dispute, so the same dispute seen again (the event replayed, its later events) tells nobody
    twice. Returns how many accounts were told."""
    dispute_id = str(dispute.get("id") or "")
    if not dispute_id:
        return 0
    community = current_community()
    hooks, obj = registry.payable_of(payment)
    url = community.primary_url().rstrip("/") + (hooks.team_path(obj) if hooks.team_path else "/equipe/")
    payer = get_user_model().objects.filter(pk=hooks.payer_id(obj)).first()
    content = hooks.receipt_content(payment)
    due_by = (dispute.get("evidence_details") or {}).get("due_by")
    context = {
        "payment": payment,
        "payer": (payer.get_full_name() or payer.email) if payer else "",
        "object": content.get("object")
        or _("Cotisation %(year)s (%(tier)s)")
        % {"year": content.get("year", ""), "tier": content.get("tier", "")},
        "reason": DISPUTE_REASONS.get(str(dispute.get("reason") or ""), dispute.get("reason") or "—"),
        # An inquiry (``warning_…``) withdraws nothing yet; a chargeback withdraws the amount.
        "withdrawn": bool(dispute.get("balance_transactions")),
        "due_by": datetime.fromtimestamp(int(due_by), tz=UTC) if due_by else None,
        "url": url,
    }
    subject = _("Contestation bancaire d'un paiement de %(amount)s € — %(cpts)s") % {
        "amount": f"{payment.amount:.2f}".replace(".", ","),
        "cpts": community.name,
    }
    told = 0
    for user in team_accounts():
        notify(
            user=user,
            kind=DISPUTE_KIND,
            key=f"{DISPUTE_KIND}:{dispute_id}:{user.pk}",
            subject=subject,
            template="payments/email/dispute",
            context={**context, "user": user},
            url=url,
        )
        told += 1
    return told
