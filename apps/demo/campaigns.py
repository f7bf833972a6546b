"""The demo's e-mail campaigns: one sent ten days ago to the members à jour, with its figures read
from real rows (a recipient row per address, their stamps on the mail path, one bounce reported by
the provider, one unsubscription through its link), and one draft. Dev and test only (apps.demo)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from apps.campaigns import segments
from apps.campaigns.models import Campaign, Recipient
from apps.campaigns.sending import CAMPAIGN_KIND, mail_key, message_id, source_of
from apps.mailing.models import DeliveryEvent, SentMail, Suppression
from apps.notifications.models import Unsubscription

from . import content

SENT_SUBJECT = "Compte rendu de l'assemblée générale"
SENT_BODY = (
    "<p>Bonjour à toutes et à tous,</p><p>Merci d'être venus si nombreux à l'assemblée générale. "
    "Le compte rendu et les diapositives sont dans l'espace adhérents.</p>"
    "<p>Prochaine étape : les groupes de travail se réunissent en janvier.</p>"
)
DRAFT_SUBJECT = "Soirée de formation : insuffisance cardiaque"
DRAFT_BODY = (
    "<p>Bonjour,</p><p>La CPTS organise une soirée de formation pluriprofessionnelle sur "
    "l'insuffisance cardiaque. Inscriptions sur le site, rubrique Événements.</p>"
)


def seed_campaigns(slug: str, actor, members) -> bool:
    """Create the two campaigns of ``slug`` once; False when they are there already."""
    if Campaign.objects.filter(subject=SENT_SUBJECT).exists():
        return False
    now = timezone.now()
    audience = segments.Audience(standing=segments.StandingFilter.GOOD)
    people = segments.select(audience)
    sent_at = now - timedelta(days=10)
    campaign = Campaign.objects.create(
        subject=SENT_SUBJECT, body=SENT_BODY, audience=audience.as_dict(), status=Campaign.Status.SENT,
        created_by=actor, scheduled_by=actor, scheduled_at=sent_at, started_at=sent_at, heartbeat_at=sent_at,
        finished_at=sent_at + timedelta(minutes=1), recipients_total=len(people),
        created_at=sent_at - timedelta(days=1), updated_at=sent_at,
    )  # fmt: skip
    rows = Recipient.objects.bulk_create(
        [Recipient(campaign=campaign, email=p.email, name=p.name[:300], user_id=p.user_id,
                   status=Recipient.Status.SENT, claimed_at=sent_at, sent_at=sent_at) for p in people]
    )  # fmt: skip
    schema = connection.schema_name
    for row in rows:
        row.message_id = message_id(campaign, row, schema)
        SentMail.objects.create(
            schema=schema, key=mail_key(campaign, row), kind=CAMPAIGN_KIND, recipients=[row.email],
            subject=SENT_SUBJECT, message_id=row.message_id,
        )  # fmt: skip
    Recipient.objects.bulk_update(rows, ["message_id"])
    # Two of the extra members (never a persona one signs in with): one bounced, one unsubscribed.
    extras = {email for email, *_rest in content.EXTRA_MEMBERS[slug]}
    others = [row for row in rows if row.email in extras]
    if len(others) >= 2:
        bounced, unsubscribed = others[-1], others[-2]
        stamp = SentMail.objects.get(message_id=bounced.message_id)
        DeliveryEvent.objects.create(
            provider="demo", event_type="bounced", recipient=bounced.email, message_id=stamp.message_id,
            schema=schema, sent_mail=stamp, occurred_at=sent_at + timedelta(minutes=5), suppressed=True,
            fingerprint=hashlib.sha256(f"demo:{stamp.message_id}".encode()).hexdigest(),
        )  # fmt: skip
        Suppression.objects.get_or_create(
            address=bounced.email, defaults={"reason": Suppression.Reason.BOUNCED}
        )
        Unsubscription.objects.get_or_create(
            email=unsubscribed.email, kind=CAMPAIGN_KIND, defaults={"source": source_of(campaign)}
        )
    Campaign.objects.create(
        subject=DRAFT_SUBJECT, body=DRAFT_BODY, audience=audience.as_dict(), created_by=actor,
        created_at=now - timedelta(days=1), updated_at=now - timedelta(days=1),
    )  # fmt: skip
    return True
