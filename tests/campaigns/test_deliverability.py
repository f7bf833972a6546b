"""Campaign messages on the one mail path (apps.mailing): one-click unsubscribe (RFC 8058) signed
for the address, the CPTS and the kind; the suppression list; bounces from the provider's signed
webhook counted on the campaign; the counts read from those rows."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.audit.models import AuditEvent
from apps.campaigns import selectors, services
from apps.campaigns.models import Campaign, Recipient
from apps.campaigns.segments import Audience, StandingFilter
from apps.mailing.models import DeliveryEvent, SentMail, Suppression
from apps.notifications import service as notifications
from tests.conftest import HOST_A, HOST_B, PLATFORM_HOST
from workers.mailing import fan_out_event_retention_task

pytestmark = pytest.mark.django_db

SECRET = "brevo-webhook:campaigns-9d1e"


def send_campaign(community, actor, subject: str, capture) -> Campaign:
    with tenant_context(community):
        campaign = services.save_campaign(
            actor=actor, campaign=None, data={"subject": subject, "body": "<p>Bonjour</p>"},
            audience=Audience(standing=StandingFilter.GOOD),
        )  # fmt: skip
        with capture(execute=True):
            services.schedule_campaign(actor=actor, campaign=campaign)
        campaign.refresh_from_db()
    return campaign


def unsubscribe_link(message) -> str:
    return "".join(message["List-Unsubscribe"].split()).strip("<>")


def test_a_campaign_message_goes_through_the_mail_path_with_one_click_unsubscribe(
    community_a, alice, bob, smtp_sink, django_capture_on_commit_callbacks
):
    campaign = send_campaign(community_a, alice, "Lettre de juin", django_capture_on_commit_callbacks)
    (message,) = smtp_sink.to(bob.email)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe_link(message)
    assert re.fullmatch(r"http://alpha\.localhost/notifications/desabonnement/[^/]+/", link)
    # The same link in the footer of both bodies.
    assert link in message.get_body(preferencelist=("plain",)).get_content()
    assert link in message.get_body(preferencelist=("html",)).get_content()
    # Recorded by the mail path under our own id: a provider's event finds the CPTS and the row.
    with schema_context(community_a.schema_name):
        row = Recipient.objects.get(campaign=campaign, email=bob.email)
    stamp = SentMail.objects.get(message_id=row.message_id)
    assert (stamp.schema, stamp.recipients, stamp.kind) == ("alpha", [bob.email], "campaigns.campaign")
    assert message["Message-ID"] == row.message_id


def test_an_unsubscribe_token_names_the_address_the_cpts_and_the_kind_and_is_refused_elsewhere(
    community_a, community_b, alice, bob, smtp_sink, django_capture_on_commit_callbacks
):
    send_campaign(community_a, alice, "Lettre de juin", django_capture_on_commit_callbacks)
    link = unsubscribe_link(smtp_sink.to(bob.email)[0])
    token = link.rstrip("/").rpartition("/")[2]
    named = signing.loads(token, salt=notifications.UNSUBSCRIBE_SALT)
    assert (named["a"], named["s"], named["k"]) == (bob.email, "alpha", "campaigns.campaign")

    # B's site does not honour A's token: nothing changes anywhere.
    path = link.removeprefix("http://alpha.localhost")
    elsewhere = Client(HTTP_HOST=HOST_B).post(path, "List-Unsubscribe=One-Click",
                                               content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert elsewhere.status_code == 404
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            assert not notifications.is_unsubscribed(bob.email, "campaigns.campaign", user_id=bob.pk)
    # A token forged for another address does not verify.
    forged = token.replace(token.split(":")[0], base64.urlsafe_b64encode(b'{"a":"x@y.fr"}').decode())
    assert Client(HTTP_HOST=HOST_A).post(f"/notifications/desabonnement/{forged}/").status_code == 404


def test_one_click_unsubscribe_without_login_stops_the_next_campaign_and_is_counted(
    community_a, alice, bob, smtp_sink, django_capture_on_commit_callbacks
):
    first = send_campaign(community_a, alice, "Lettre de juin", django_capture_on_commit_callbacks)
    path = unsubscribe_link(smtp_sink.to(bob.email)[0]).removeprefix("http://alpha.localhost")
    anonymous = Client(HTTP_HOST=HOST_A, enforce_csrf_checks=True)
    assert "Me désabonner" in anonymous.get(path).content.decode()  # a link scanner changes nothing
    with tenant_context(community_a):
        assert selectors.progress(first).unsubscribed == 0
    done = anonymous.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200 and "vous ne recevrez plus" in done.content.decode()

    smtp_sink.clear()
    second = send_campaign(community_a, alice, "Lettre de juillet", django_capture_on_commit_callbacks)
    assert [m["X-Envelope-To"] for m in smtp_sink.messages] == [alice.email]
    with tenant_context(community_a):
        assert Recipient.objects.get(campaign=second, email=bob.email).status == Recipient.Status.SKIPPED
        assert second.status == Campaign.Status.SENT
        counts = selectors.progress(first)
    assert (counts.sent, counts.unsubscribed, counts.bounced, counts.delivered) == (2, 1, 0, 2)


def _post_webhook(event: dict, secret: str = SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return Client(HTTP_HOST=PLATFORM_HOST).post(
        "/anymail/brevo/tracking/", json.dumps(event), content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )  # fmt: skip


def test_a_signed_bounce_for_a_campaign_message_suppresses_and_counts_forged_and_replayed_change_nothing(
    community_a, alice, bob, smtp_sink, settings, client_as, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    campaign = send_campaign(community_a, alice, "Lettre de juin", django_capture_on_commit_callbacks)
    with schema_context("alpha"):
        row = Recipient.objects.get(campaign=campaign, email=bob.email)
    bounce = {
        "event": "hard_bounce", "email": bob.email, "message-id": "<2026.1@smtp-relay.mailin.fr>",
        "X-Mailin-custom": json.dumps({"message_id": row.message_id}), "ts_epoch": 1764763200000,
        "reason": "550 5.1.1 mailbox unknown",
    }  # fmt: skip

    assert _post_webhook(bounce, secret="brevo-webhook:guessed").status_code == 400
    assert not Suppression.objects.exists()
    with tenant_context(community_a):
        assert selectors.progress(campaign).bounced == 0

    assert _post_webhook(bounce).status_code == 200
    assert list(Suppression.objects.values_list("address", flat=True)) == [bob.email]
    assert _post_webhook(bounce).status_code == 200  # replayed
    assert DeliveryEvent.objects.count() == 1 and Suppression.objects.count() == 1
    with tenant_context(community_a):
        counts = selectors.progress(campaign)
    assert (counts.sent, counts.bounced, counts.delivered) == (2, 1, 1)
    stats = client_as(alice, HOST_A).get(f"/equipe/campagnes/{campaign.pk}/progression.json").json()
    assert (stats["bounced"], stats["delivered"]) == (1, 1)

    # The next campaign skips the suppressed address.
    smtp_sink.clear()
    later = send_campaign(community_a, alice, "Lettre de juillet", django_capture_on_commit_callbacks)
    assert not smtp_sink.to(bob.email)
    with schema_context("alpha"):
        assert Recipient.objects.get(campaign=later, email=bob.email).status == Recipient.Status.SKIPPED


def test_provider_events_past_their_delay_go_once_and_the_campaign_keeps_its_bounced_count(
    community_a, alice, bob, smtp_sink, settings, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    settings.DELIVERY_EVENT_RETENTION_DAYS = 30
    campaign = send_campaign(community_a, alice, "Lettre d'août", django_capture_on_commit_callbacks)
    with schema_context("alpha"):
        row = Recipient.objects.get(campaign=campaign, email=bob.email)
    ours = {"X-Mailin-custom": json.dumps({"message_id": row.message_id}), "message-id": "<2026.9@relay>"}
    assert (
        _post_webhook(
            {"event": "hard_bounce", "email": bob.email, "ts_epoch": 1764763200000, **ours}
        ).status_code
        == 200
    )
    # The same recipient complains later: still one bounced recipient.
    assert (
        _post_webhook({"event": "spam", "email": bob.email, "ts_epoch": 1764849600000, **ours}).status_code
        == 200
    )
    # An event about a message that is not ours (no CPTS).
    stranger = {
        "event": "hard_bounce",
        "email": "x@ailleurs.fr",
        "message-id": "<inconnu@relay>",
        "ts_epoch": 1,
    }
    assert _post_webhook(stranger).status_code == 200
    assert DeliveryEvent.objects.filter(schema="alpha", suppressed=True).count() == 2
    bounce = DeliveryEvent.objects.get(event_type="bounced", schema="alpha")
    old = timezone.now() - timedelta(days=31)
    DeliveryEvent.objects.filter(pk=bounce.pk).update(received_at=old)
    DeliveryEvent.objects.filter(schema="").update(received_at=old)
    with tenant_context(community_a):
        before = selectors.progress(campaign)
    assert (before.sent, before.bounced, before.delivered) == (2, 1, 1)

    assert fan_out_event_retention_task() >= 2
    # The old bounce and the stranger's event went; the recent complaint stays.
    assert list(DeliveryEvent.objects.values_list("event_type", flat=True)) == ["complained"]
    assert Suppression.objects.filter(address=bob.email).exists()  # what the events decided stays
    with tenant_context(community_a):
        campaign.refresh_from_db()
        assert campaign.purged_bounce_ids == [bounce.sent_mail_id]
        after = selectors.progress(campaign)
        assert (after.sent, after.bounced, after.delivered) == (2, 1, 1)
        lines = AuditEvent.objects.filter(action="gdpr.retention_applied", details__delivery_events=1)
        assert lines.count() == 1
    # Run twice, acts once.
    assert fan_out_event_retention_task() >= 2
    assert DeliveryEvent.objects.count() == 1
    with tenant_context(community_a):
        assert AuditEvent.objects.filter(action="gdpr.retention_applied").count() == 1
    # The complaint's turn: the count still holds with no event left.
    DeliveryEvent.objects.update(received_at=old)
    fan_out_event_retention_task()
    assert not DeliveryEvent.objects.exists()
    with tenant_context(community_a):
        campaign.refresh_from_db()
        assert campaign.purged_bounce_ids == [bounce.sent_mail_id]
        assert selectors.progress(campaign).bounced == 1


def test_the_mail_log_goes_after_its_own_delay_once_no_event_points_at_it(community_a, settings):
    settings.SENT_MAIL_RETENTION_DAYS = 60
    settings.DELIVERY_EVENT_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=61)

    def logged(key, schema="alpha", when=old):
        sent = SentMail.objects.create(
            schema=schema, key=key, recipients=["bob@test.fr"], subject="s", message_id=f"<{key}@t>"
        )
        SentMail.objects.filter(pk=sent.pk).update(sent_at=when)
        return sent

    gone, recent, pointed, stranger = (
        logged("old"),
        logged("new", when=timezone.now()),
        logged("kept"),
        logged("x", schema="disparue"),
    )
    DeliveryEvent.objects.create(
        provider="brevo", fingerprint="e" * 64, event_type="complained", recipient="bob@test.fr",
        schema="alpha", sent_mail=pointed, occurred_at=timezone.now(),
    )  # fmt: skip

    assert fan_out_event_retention_task() >= 1
    assert fan_out_event_retention_task() >= 1  # twice: acts once
    left = set(SentMail.objects.filter(key__in=["old", "new", "kept", "x"]).values_list("key", flat=True))
    assert left == {"new", "kept"}, left
    assert gone and recent and stranger
    with schema_context("alpha"):
        assert AuditEvent.objects.filter(action="gdpr.retention_applied", details__sent_mails=1).count() == 1
