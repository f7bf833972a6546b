"""Receiving Stripe events on the platform host.

Order of checks (saleor's habit): verify the signature on the raw body, store the event id
uniquely (a duplicate is a no-op), resolve the CPTS from OUR tables (StripeRoute for objects we
created, ConnectedAccount for the ``account`` of Connect events) and, when both name a CPTS,
require that they agree. Only then is a tenant task enqueued; it re-reads the object from Stripe
and never trusts the event's copy for money (see apps/payments/card.py).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenants.models import Community
from tenants.queue import enqueue_on_commit

from .connect import apply_account_update
from .models import StripeRoute, WebhookEvent

logger = logging.getLogger(__name__)


class BadSignature(ValueError):
    pass


def verify(payload: bytes, signature_header: str) -> dict:
    """The event as a dict, or BadSignature (wrong secret, tampered body, stale timestamp)."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise BadSignature("STRIPE_WEBHOOK_SECRET is not set")
    try:
        stripe.Webhook.construct_event(payload, signature_header, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise BadSignature(str(error)) from error
    return json.loads(payload)


def _candidate_ids(obj: dict) -> list[str]:
    ids = [obj.get("id"), obj.get("payment_intent"), obj.get("setup_intent")]
    return [value for value in ids if isinstance(value, str) and value]


def resolve(event: dict) -> tuple[Community | None, str]:
    """(community, outcome) for an event, from our own tables only."""
    obj = event.get("data", {}).get("object", {}) or {}
    account = event.get("account") or ""
    by_account = Community.objects.filter(stripe_account_id=account).first() if account else None
    route = StripeRoute.objects.select_related("community").filter(stripe_id__in=_candidate_ids(obj)).first()
    if route is not None:
        if account and (by_account is None or by_account.pk != route.community_id):
            return None, WebhookEvent.Outcome.MISMATCH
        return route.community, WebhookEvent.Outcome.ROUTED
    if event.get("type", "").startswith("account.") and by_account is not None:
        return by_account, WebhookEvent.Outcome.ROUTED
    return None, WebhookEvent.Outcome.UNROUTED


def event_time(event: dict) -> datetime:
    """When Stripe created the event (its copy of the object is the state at that moment)."""
    created = event.get("created")
    if isinstance(created, int):
        return datetime.fromtimestamp(created, tz=UTC)
    return timezone.now()


def record_event(event: dict) -> WebhookEvent | None:
    """Store a verified event once and hand it to its CPTS. None for a duplicate (no-op)."""
    obj = event.get("data", {}).get("object", {}) or {}
    community, outcome = resolve(event)
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                event_id=event["id"],
                type=event.get("type", ""),
                account=event.get("account") or "",
                object_id=obj.get("id", "") or "",
                payload=event,
                community=community,
                outcome=outcome,
            )
            if event.get("type") == "account.updated":
                apply_account_update(obj, as_of=event_time(event))
            elif outcome == WebhookEvent.Outcome.ROUTED:
                enqueue_on_commit("dues.handle_stripe_event", community.schema_name, record.pk)
    except IntegrityError:
        logger.info("stripe event %s already received", event.get("id"))
        return None
    logger.info("stripe event %s %s → %s", record.event_id, record.type, outcome)
    return record
