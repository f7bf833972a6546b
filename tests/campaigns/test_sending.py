"""The sending pipeline in-process (tasks eager), through real SMTP to an aiosmtpd server."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.campaigns import selectors, sending, services
from apps.campaigns.models import Campaign, Recipient, SenderSettings
from apps.campaigns.segments import Audience, StandingFilter
from workers.campaigns import dispatch_task, send_campaign_task

from .conftest import make_member

pytestmark = pytest.mark.django_db


def draft(actor, audience: Audience | None = None, **data) -> Campaign:
    fields = {
        "subject": "Assemblée générale",
        "body": '<p>Venez nombreux ! <a href="/adhesion/">Adhérer</a></p><script>x()</script>',
    }
    fields.update(data)
    return services.save_campaign(actor=actor, campaign=None, data=fields, audience=audience or Audience())


def test_a_campaign_sent_now_reaches_each_member_a_jour_once(
    community_a, alice, bob, smtp_sink, django_capture_on_commit_callbacks
):
    schema = community_a.schema_name
    make_member(schema, "candidate@test.fr", exempt=False)
    with tenant_context(community_a):
        services.save_sender(actor=alice, sender_name="Équipe Alpha", reply_to="contact@alpha.fr")
        campaign = draft(alice, Audience(standing=StandingFilter.GOOD))
        assert "<script>" not in campaign.body
        with django_capture_on_commit_callbacks(execute=True):
            services.schedule_campaign(actor=alice, campaign=campaign)
        campaign.refresh_from_db()
        progress = selectors.progress(campaign)

    assert campaign.status == Campaign.Status.SENT
    assert campaign.recipients_total == 2
    assert (progress.sent, progress.pending, progress.sending, progress.delivered) == (2, 0, 0, 2)
    assert sorted(m["X-Envelope-To"] for m in smtp_sink.messages) == [alice.email, bob.email]
    message = smtp_sink.to(bob.email)[0]
    assert message["Subject"] == "Assemblée générale"
    assert message["From"] == "Équipe Alpha <ne-pas-repondre@localhost>"
    assert message["Reply-To"] == "contact@alpha.fr"
    assert message["Message-ID"].startswith(f"<campaign.{campaign.pk}.")
    assert message["Message-ID"].endswith(f".{schema}@localhost>")
    html = [part for part in message.walk() if part.get_content_type() == "text/html"][0]
    html_text = html.get_payload(decode=True).decode()
    assert "Venez nombreux" in html_text
    assert (
        'href="http://alpha.localhost' in html_text and "/adhesion/" in html_text
    )  # absolute from a mailbox
    assert not smtp_sink.to("candidate@test.fr")


def test_the_sending_task_runs_twice_and_sends_once(
    community_a, alice, bob, smtp_sink, django_capture_on_commit_callbacks
):
    with tenant_context(community_a):
        campaign = draft(alice)
        with django_capture_on_commit_callbacks(execute=True):
            services.schedule_campaign(actor=alice, campaign=campaign)
    assert len(smtp_sink.messages) == 2
    assert send_campaign_task(community_a.schema_name, campaign.pk) == "finished (0 sent)"
    assert len(smtp_sink.messages) == 2


def test_an_empty_bucket_ends_the_slice_with_the_wait(community_a, alice, smtp_sink, settings):
    settings.MAIL_RATE_PER_CPTS = 2  # a bucket of 4 tokens (2 s), refilled at 2 per second
    schema = community_a.schema_name
    for index in range(8):
        make_member(schema, f"many{index}@test.fr")
    with tenant_context(community_a):
        campaign = draft(alice)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SCHEDULED, scheduled_at=timezone.now()
        )
        assert sending.start(campaign.pk)
        started = time.monotonic()
        result = sending.send_slice(campaign.pk, connection.tenant)
        elapsed = time.monotonic() - started
        assert not result.finished
        assert 0 < result.wait <= 0.5
        # The burst, then what the bucket refilled while the slice ran: never the 10 recipients.
        assert 4 <= result.sent <= 4 + int(2 * elapsed) + 1 < 10
        pending = Recipient.objects.filter(campaign=campaign, status=Recipient.Status.PENDING).count()
        assert (
            pending == Campaign.objects.get(pk=campaign.pk).recipients_total - result.sent == 10 - result.sent
        )
    assert len(smtp_sink.messages) == result.sent


def test_a_claim_left_by_a_dead_worker_is_never_sent_again(community_a, alice, bob, smtp_sink):
    with tenant_context(community_a):
        campaign = draft(alice)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SCHEDULED, scheduled_at=timezone.now()
        )
        sending.start(campaign.pk)
        lost = sending.claim_next(campaign.pk)  # a worker claimed it, then died
        Recipient.objects.filter(pk=lost.pk).update(claimed_at=timezone.now() - timedelta(minutes=5))
        result = sending.send_slice(campaign.pk, connection.tenant)
        assert result.finished
        assert Recipient.objects.get(pk=lost.pk).status == Recipient.Status.INTERRUPTED
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.SENT
    assert len(smtp_sink.messages) == 1
    assert lost.email not in smtp_sink.messages[0]["X-Envelope-To"]


def test_a_scheduled_campaign_starts_when_due_and_can_be_cancelled_before(community_a, alice, bob, smtp_sink):
    schema = community_a.schema_name
    with tenant_context(community_a):
        later = draft(alice, subject="Plus tard")
        services.schedule_campaign(actor=alice, campaign=later, at=timezone.now() + timedelta(hours=1))
        cancelled = draft(alice, subject="Annulée")
        services.schedule_campaign(actor=alice, campaign=cancelled, at=timezone.now() + timedelta(hours=1))
        services.cancel_campaign(actor=alice, campaign=cancelled)
    assert dispatch_task(schema) == {"started": 0, "resumed": 0}
    with tenant_context(community_a):
        Campaign.objects.filter(pk__in=[later.pk, cancelled.pk]).update(scheduled_at=timezone.now())
    assert dispatch_task(schema) == {"started": 1, "resumed": 0}
    assert {m["Subject"] for m in smtp_sink.messages} == {"Plus tard"}
    with tenant_context(community_a):
        later.refresh_from_db()
        assert later.status == Campaign.Status.SENT
        with pytest.raises(ValidationError):
            services.cancel_campaign(actor=alice, campaign=later)
        with pytest.raises(ValidationError):
            services.save_campaign(
                actor=alice, campaign=later, data={"subject": "Changée"}, audience=Audience()
            )


def test_bad_schedules_are_refused_in_french(community_a, alice):
    with tenant_context(community_a):
        campaign = draft(alice)
        with pytest.raises(ValidationError) as past:
            services.schedule_campaign(
                actor=alice, campaign=campaign, at=timezone.now() - timedelta(minutes=1)
            )
        assert "à venir" in str(past.value)
        nobody = draft(alice, Audience(profession="93"))
        with pytest.raises(ValidationError) as empty:
            services.schedule_campaign(actor=alice, campaign=nobody)
        assert "personne" in str(empty.value)


def test_a_test_send_goes_to_the_team_member_only(community_a, alice, bob, smtp_sink):
    with tenant_context(community_a):
        campaign = draft(alice)
        assert services.send_test(actor=alice, campaign=campaign) == alice.email
        assert Recipient.objects.filter(campaign=campaign).count() == 0
    assert [m["Subject"] for m in smtp_sink.messages] == ["[TEST] Assemblée générale"]
    assert smtp_sink.messages[0]["X-Envelope-To"] == alice.email


def test_a_plain_member_cannot_write_or_send(community_a, alice, bob):
    with tenant_context(community_a):
        campaign = draft(alice)
        with pytest.raises(PermissionDenied):
            draft(bob)
        with pytest.raises(PermissionDenied):
            services.schedule_campaign(actor=bob, campaign=campaign)
        with pytest.raises(PermissionDenied):
            services.cancel_campaign(actor=bob, campaign=campaign)
        with pytest.raises(PermissionDenied):
            services.send_test(actor=bob, campaign=campaign)
        with pytest.raises(PermissionDenied):
            services.save_sender(actor=bob, sender_name="X", reply_to="")
        assert SenderSettings.load().sender_name == ""
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.DRAFT


def test_a_long_paragraph_is_sent_within_the_smtp_line_limit(community_a, alice, bob, smtp_sink):
    long_text = "Bonjour à toutes et à tous, voici les nouvelles de la CPTS. " * 40
    with tenant_context(community_a):
        campaign = draft(alice, body=f"<p>{long_text}</p>")
        services.send_test(actor=alice, campaign=campaign)
    html = smtp_sink.messages[0].get_body(preferencelist=("html",)).get_content()
    assert long_text.strip() in html
