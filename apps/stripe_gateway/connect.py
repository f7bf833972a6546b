"""Stripe Connect for a CPTS: its own Stripe account, onboarded by Account Link.

Real Stripe: ``Account.create(type="standard")`` then ``AccountLink.create`` (the team finishes
on stripe.com and comes back to ``return_url``); status from ``Account.retrieve`` and the
``account.updated`` webhook (the newest state wins, whatever the order of delivery). localstripe has no Account API: with STRIPE_EMBEDDED the account is
simulated here, at our boundary (id ``acct_sim_…``, marked ``simulated``), and the redirect goes
straight back to ``return_url``. See docs/payments.md for what this does and does not exercise.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import stripe
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenants.models import Community

from . import client
from .models import ConnectedAccount


def get_connected_account(community: Community) -> ConnectedAccount | None:
    if not community.stripe_account_id:
        return None
    return ConnectedAccount.objects.filter(
        community=community, account_id=community.stripe_account_id
    ).first()


def card_payments_available(community: Community) -> bool:
    account = get_connected_account(community)
    return client.is_configured() and account is not None and account.charges_enabled


def start_onboarding(*, actor, community: Community, refresh_url: str, return_url: str) -> str:
    """Create (once) the CPTS's connected account and return the URL to send the team to."""
    account = get_connected_account(community)
    if client.is_embedded():
        if account is None:
            account = _save_account(
                community, f"acct_sim_{secrets.token_hex(8)}", simulated=True, charges=True, details=True
            )
        return return_url
    if account is None:
        created = stripe.Account.create(
            type="standard",
            country="FR",
            email=actor.email,
            business_profile={"name": community.name},
            **client.options(idempotency_key=f"account-{community.schema_name}"),
        )
        account = _save_account(community, created.id, simulated=False, charges=False, details=False)
    link = stripe.AccountLink.create(
        account=account.account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        type="account_onboarding",
        **client.options(),
    )
    return link.url


def refresh_status(community: Community) -> ConnectedAccount | None:
    account = get_connected_account(community)
    if account is None or account.simulated:
        return account
    read_at = our_read_time(timezone.now())
    remote = stripe.Account.retrieve(account.account_id, **client.options())
    return apply_account_update(client.as_dict(remote), as_of=read_at)


def our_read_time(now: datetime) -> datetime:
    """When our own read of an account counts as taken: Stripe stamps its events in whole
    seconds, so the read counts from the start of its second and an event Stripe sent in the
    same second (after our read, or not) is never dropped as older."""
    return now.replace(microsecond=0)


def apply_account_update(data: dict, *, as_of: datetime) -> ConnectedAccount | None:
    """Store charges_enabled / details_submitted of an account we know, as Stripe held them at
    ``as_of`` (an ``account.updated`` event's ``created``, or the time we read the account).

    Stripe does not deliver events in order: a state older than the one stored is ignored (one
    conditional UPDATE, so two deliveries racing keep the newest). Returns the account as stored,
    or None for an account we do not know."""
    account_id = data.get("id", "")
    ConnectedAccount.objects.filter(account_id=account_id).filter(
        Q(stripe_state_at__isnull=True) | Q(stripe_state_at__lte=as_of)
    ).update(
        charges_enabled=bool(data.get("charges_enabled")),
        details_submitted=bool(data.get("details_submitted")),
        stripe_state_at=as_of,
        updated_at=timezone.now(),
    )
    return ConnectedAccount.objects.filter(account_id=account_id).first()


def _save_account(community, account_id: str, *, simulated: bool, charges: bool, details: bool):
    with transaction.atomic():
        account, _ = ConnectedAccount.objects.update_or_create(
            community=community,
            defaults={
                "account_id": account_id,
                "simulated": simulated,
                "charges_enabled": charges,
                "details_submitted": details,
                "stripe_state_at": None,
                "updated_at": timezone.now(),
            },
        )
        Community.objects.filter(pk=community.pk).update(stripe_account_id=account_id)
        community.stripe_account_id = account_id
    return account
