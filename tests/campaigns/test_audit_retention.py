"""A send is written in the CPTS's audit log when it starts; old campaign logs go after the
retention delay (beat, per CPTS; run twice, act once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.audit.models import AuditEvent
from apps.campaigns import services
from apps.campaigns.models import Campaign, Recipient
from apps.campaigns.segments import Audience
from apps.mailing.models import SentMail
from workers.campaigns import apply_retention_task

pytestmark = pytest.mark.django_db


def sent_campaign(community, actor, capture, subject="Lettre") -> Campaign:
    with tenant_context(community):
        campaign = services.save_campaign(
            actor=actor,
            campaign=None,
            data={"subject": subject, "body": "<p>Bonjour</p>"},
            audience=Audience(),
        )
        with capture(execute=True):
            services.schedule_campaign(actor=actor, campaign=campaign)
        campaign.refresh_from_db()
    return campaign


def test_starting_a_send_is_recorded_with_its_actor_and_recipient_count(
    community_a, alice, bob, smtp_sink, django_capture_on_commit_callbacks
):
    campaign = sent_campaign(community_a, alice, django_capture_on_commit_callbacks)
    with schema_context("alpha"):
        (line,) = AuditEvent.objects.filter(action="campaigns.sent")
    assert (line.actor_id, line.target_id, line.details) == (alice.pk, str(campaign.pk), {"recipients": 2})
    with schema_context("beta"):
        assert not AuditEvent.objects.filter(action="campaigns.sent").exists()


def test_recipient_rows_past_the_retention_delay_go_once(
    community_a, alice, bob, smtp_sink, settings, django_capture_on_commit_callbacks
):
    settings.CAMPAIGN_LOG_RETENTION_DAYS = 30
    old = sent_campaign(community_a, alice, django_capture_on_commit_callbacks, subject="Ancienne")
    recent = sent_campaign(community_a, alice, django_capture_on_commit_callbacks, subject="Récente")
    with schema_context("alpha"):
        Campaign.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=31))
        old_ids = list(Recipient.objects.filter(campaign=old).values_list("message_id", flat=True))
    assert SentMail.objects.filter(message_id__in=old_ids).count() == 2

    assert apply_retention_task("alpha") == {"recipients": 2, "sent_mails": 2}
    assert apply_retention_task("alpha") == {"recipients": 0, "sent_mails": 0}  # run twice, act once
    with schema_context("alpha"):
        old.refresh_from_db()
        # The campaign itself stays, with its figures; the per-address rows are gone.
        assert (old.recipients_total, old.recipients_purged_at is not None) == (2, True)
        assert not Recipient.objects.filter(campaign=old).exists()
        assert Recipient.objects.filter(campaign=recent).count() == 2
        assert AuditEvent.objects.filter(action="gdpr.retention_applied").count() >= 1
    assert not SentMail.objects.filter(message_id__in=old_ids).exists()
