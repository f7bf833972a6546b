"""Forgetting who a mail was sent to, when its subject matter must be forgotten (a patient's
request erased or anonymised): the log rows stay — their key keeps a retried task from sending
again — but the addresses and the subject are blanked, here and in the provider's events."""

from __future__ import annotations

from django.db import transaction

from .models import DeliveryEvent, SentMail


def forget_recipients(*, schema: str, keys: list[str]) -> int:
    """Blank the recipients and subject of CPTS ``schema``'s mails sent under ``keys``, and the
    address of their delivery events. Returns how many mails were blanked; running it again
    changes nothing."""
    with transaction.atomic():
        sent = SentMail.objects.filter(schema=schema, key__in=keys)
        DeliveryEvent.objects.filter(sent_mail__in=sent).exclude(recipient="").update(recipient="")
        return sent.exclude(recipients=[], subject="").update(recipients=[], subject="")
