"""Forgetting who a mail was sent to, when its subject matter must be forgotten (a patient's
request erased or anonymised): the log rows stay — their key keeps a retried task from sending
again — but the addresses and the subject are blanked, here and in the provider's events."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import transaction

from .models import DeliveryEvent, SentMail

DIGEST_PREFIX = "hmac:"


def address_digest(address: str) -> str:
    """A keyed digest of ``address`` (the platform's secret key): it lets a bounce or a complaint
    about a pseudonymised mail be recognised without the log holding the address."""
    mac = hmac.new(settings.SECRET_KEY.encode(), address.strip().lower().encode(), hashlib.sha256)
    return DIGEST_PREFIX + mac.hexdigest()


def is_digest(value: str) -> bool:
    return value.startswith(DIGEST_PREFIX)


def pseudonymise_recipients(*, schema: str, keys: list[str]) -> int:
    """Replace the recipients of CPTS ``schema``'s mails sent under ``keys`` by keyed digests and
    blank their subject, right after sending a mail whose mere existence is health data (a desk
    patient's message): the platform-wide log then reveals no address, a bounce still suppresses
    the address (``tracking`` compares digests), and the key still stops a second send. Returns
    how many mails changed; running it again changes nothing."""
    changed = 0
    with transaction.atomic():
        for sent in SentMail.objects.select_for_update().filter(schema=schema, key__in=keys):
            recipients = [a if is_digest(a) else address_digest(a) for a in sent.recipients]
            if recipients == sent.recipients and not sent.subject:
                continue
            sent.recipients, sent.subject = recipients, ""
            sent.save(update_fields=["recipients", "subject"])
            DeliveryEvent.objects.filter(sent_mail=sent).exclude(recipient="").update(recipient="")
            changed += 1
    return changed


def forget_recipients(*, schema: str, keys: list[str]) -> int:
    """Blank the recipients and subject of CPTS ``schema``'s mails sent under ``keys``, and the
    address of their delivery events. Returns how many mails were blanked; running it again
    changes nothing."""
    with transaction.atomic():
        sent = SentMail.objects.filter(schema=schema, key__in=keys)
        DeliveryEvent.objects.filter(sent_mail__in=sent).exclude(recipient="").update(recipient="")
        return sent.exclude(recipients=[], subject="").update(recipients=[], subject="")
