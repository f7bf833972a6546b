"""Bounces and complaints from the mail provider, through django-anymail's tracking webhooks.

The provider posts to ``/anymail/<esp>/tracking/`` on the platform's host; anymail checks the
webhook secret (``ANYMAIL_WEBHOOK_SECRET``: refused with a 400 otherwise) and sends the
``tracking`` signal with a normalized event, received here:

- each event is **stored once** (``DeliveryEvent.fingerprint``: the provider's event id, or a hash
  of the event itself for providers that give none): a replayed webhook changes nothing;
- its CPTS is found from **our own message id** (``metadata["message_id"]`` that ``mail.send``
  gives the provider, or the provider's id we kept on ``SentMail``), never from what the payload
  claims about the CPTS;
- a **hard bounce or a complaint** about a message we did send to that address adds the address to
  the suppression list, once; every later send skips it (``mail.send``). A soft bounce, a delivery,
  or an event about a message that is not ours suppresses nothing.
"""

from __future__ import annotations

import hashlib
import json

from anymail.signals import EventType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .forget import address_digest, is_digest
from .models import DeliveryEvent, SentMail, Suppression

SUPPRESSING = {
    EventType.BOUNCED: Suppression.Reason.BOUNCED,
    EventType.COMPLAINED: Suppression.Reason.COMPLAINED,
}


def _fingerprint(event, esp_name: str) -> str:
    if event.event_id:
        identity = f"{esp_name}:id:{event.event_id}"
    else:
        raw = event.esp_event if isinstance(event.esp_event, dict | list) else str(event.esp_event)
        identity = f"{esp_name}:raw:{json.dumps(raw, sort_keys=True, default=str)}"
    return hashlib.sha256(identity.encode()).hexdigest()


def _is_soft_bounce(event) -> bool:
    """Providers that tell a soft bounce apart (Brevo's event name, Mailjet's flag): not suppressed."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return raw.get("event") == "soft_bounce" or raw.get("hard_bounce") is False


def _our_mail(event) -> SentMail | None:
    ours = (event.metadata or {}).get("message_id") if isinstance(event.metadata, dict) else None
    lookup = Q(message_id=ours) if ours else Q(pk__in=[])
    if event.message_id:
        lookup |= Q(provider_message_id=event.message_id) | Q(message_id=event.message_id)
    return SentMail.objects.filter(lookup).first()


def _suppress(address: str, reason: str) -> None:
    """Suppress ``address`` for ``reason``, the delay of a bounce starting again; a complaint
    already recorded is kept (it is the stronger wish for optional mail)."""
    row, created = Suppression.objects.select_for_update().get_or_create(
        address=address, defaults={"reason": reason}
    )
    if created or (row.reason == Suppression.Reason.COMPLAINED and reason == Suppression.Reason.BOUNCED):
        return
    Suppression.objects.filter(pk=row.pk).update(reason=reason, created_at=timezone.now())


def record_tracking_event(sender=None, event=None, esp_name: str = "", **_kwargs) -> DeliveryEvent | None:
    """Store a provider's event once and suppress its address when it must. Returns the stored
    event, or None for a replay. (Connected to anymail's ``tracking`` signal.)"""
    sent = _our_mail(event)
    recipient = (event.recipient or "").strip().lower()
    reason = SUPPRESSING.get(event.event_type)
    logged = [address.lower() for address in sent.recipients] if sent is not None else []
    pseudonymised = any(is_digest(address) for address in logged)
    suppress = (
        reason is not None
        and sent is not None
        and (recipient in logged or (pseudonymised and address_digest(recipient) in sent.recipients))
        and not _is_soft_bounce(event)
    )
    try:
        with transaction.atomic():
            stored = DeliveryEvent.objects.create(
                provider=esp_name[:40],
                fingerprint=_fingerprint(event, esp_name),
                event_type=str(event.event_type)[:40],
                # A pseudonymised mail's event keeps no address either.
                recipient="" if pseudonymised else recipient[:254],
                message_id=(sent.message_id if sent else (event.message_id or ""))[:255],
                schema=sent.schema if sent else "",
                sent_mail=sent,
                occurred_at=event.timestamp,
                suppressed=suppress,
            )
            if suppress:
                _suppress(recipient, reason)
    except IntegrityError:
        return None  # the same event again: stored already
    return stored
