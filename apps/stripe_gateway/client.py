"""How we talk to Stripe: keys from settings, one CPTS = one connected account (direct charges).

``stripe.api_base`` is set in settings when STRIPE_API_BASE is given (localstripe in dev/tests).
Every call passes its api_key explicitly and, for CPTS money, ``stripe_account`` (the
``Stripe-Account`` header). localstripe ignores that header: see docs/payments.md.
"""

from __future__ import annotations

from django.conf import settings


class StripeUnavailable(RuntimeError):
    """Stripe is not configured, or this CPTS has no account able to take card payments."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def is_embedded() -> bool:
    """localstripe stands in for Stripe (no Connect, no application fees): see docs/payments.md."""
    return settings.STRIPE_EMBEDDED


def options(account_id: str | None = None, idempotency_key: str | None = None) -> dict:
    if not is_configured():
        raise StripeUnavailable("STRIPE_SECRET_KEY is not set")
    opts: dict = {"api_key": settings.STRIPE_SECRET_KEY}
    if account_id:
        opts["stripe_account"] = account_id
    if idempotency_key:
        opts["idempotency_key"] = idempotency_key
    return opts


def as_dict(obj) -> dict:
    """A plain dict of a StripeObject (or a dict already)."""
    if isinstance(obj, dict):
        return obj
    return obj.to_dict()
