"""The sending pipeline's batches, in-process through real SMTP (aiosmtpd): what is checked once per
batch (unsubscriptions, suppression list) is still obeyed for every row of it, the work per message
is one statement, and a slice the mail server cuts in the middle resends nothing already sent."""

from __future__ import annotations

import socket
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.campaigns import selectors, sending
from apps.campaigns.models import Campaign, Recipient
from apps.mailing.models import SentMail, Suppression
from apps.notifications.models import Preference, Unsubscription
from apps.notifications.registry import Channel

from .conftest import Sink, make_member

pytestmark = pytest.mark.django_db


def started_campaign(community, members: int, prefix: str) -> Campaign:
    """A campaign to every member of ``community`` (``members`` new ones, à jour), started."""
    schema = community.schema_name
    for index in range(members):
        make_member(schema, f"{prefix}{index:02d}@test.fr")
    with tenant_context(community):
        campaign = Campaign.objects.create(
            subject="Lettre", body="<p>Bonjour</p>", status=Campaign.Status.SCHEDULED,
            scheduled_at=timezone.now(), audience={"working_group": None},
        )  # fmt: skip
        assert sending.start(campaign.pk)
    return campaign


def statuses(campaign: Campaign) -> dict[str, tuple[str, str]]:
    return {
        email: (status, error)
        for email, status, error in Recipient.objects.filter(campaign=campaign).values_list(
            "email", "status", "error"
        )
    }


def test_unsubscribed_and_suppressed_addresses_inside_a_batch_are_skipped_and_counted(
    community_a, alice, smtp_sink
):
    campaign = started_campaign(community_a, 12, "batch")
    Suppression.objects.create(address="BATCH04@test.fr", reason=Suppression.Reason.BOUNCED)
    Suppression.objects.create(address="batch05@test.fr", reason=Suppression.Reason.COMPLAINED)
    with tenant_context(community_a):
        Unsubscription.objects.create(email="Batch07@Test.fr", kind=sending.CAMPAIGN_KIND)
        muted = Recipient.objects.get(campaign=campaign, email="batch09@test.fr").user_id
        Preference.objects.create(user_id=muted, kind=sending.CAMPAIGN_KIND, channel=Channel.NEVER)
        # Another kind's « never » and another CPTS's suppression of nobody change nothing.
        Preference.objects.create(user_id=muted - 1, kind="digest.news", channel=Channel.NEVER)
        with CaptureQueriesContext(connection) as queries:
            result = sending.send_slice(campaign.pk, connection.tenant)
        rows = statuses(campaign)
        progress = selectors.progress(Campaign.objects.get(pk=campaign.pk))

    skipped = {"batch04@test.fr", "batch05@test.fr", "batch07@test.fr", "batch09@test.fr"}
    received = Counter(m["X-Envelope-To"] for m in smtp_sink.messages)
    assert result.finished and result.sent == len(rows) - 4
    assert set(received) == set(rows) - skipped and max(received.values()) == 1
    assert {email: rows[email] for email in skipped} == {
        "batch04@test.fr": ("skipped", "suppressed"),
        "batch05@test.fr": ("skipped", "suppressed"),
        "batch07@test.fr": ("skipped", "unsubscribed"),
        "batch09@test.fr": ("skipped", "unsubscribed"),
    }
    assert (progress.sent, progress.skipped, progress.pending, progress.sending) == (len(rows) - 4, 4, 0, 0)
    # One statement per message (claim it, settle the one before), then a fixed number: the
    # campaign and its sender, the batch, its unsubscriptions and suppressions, the end.
    steps = [q for q in queries.captured_queries if "WITH settled AS" in q["sql"]]
    assert len(steps) == result.sent + 1
    assert len(queries) - len(steps) <= 25, "\n".join(q["sql"][:90] for q in queries.captured_queries)
    stamps = SentMail.objects.filter(
        schema=community_a.schema_name, key__startswith=f"campaign:{campaign.pk}:"
    )
    assert stamps.count() == result.sent


class CuttingSink(Sink):
    """A mail server that accepts ``accept`` messages, then answers 421 (closing) to the next
    data: that message is not accepted."""

    def __init__(self, port: int, accept: int) -> None:
        super().__init__(port=port)
        self.accept = accept
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if len(self.messages) >= self.accept:
            self.refused += 1
            return "421 4.3.0 Service shutting down"
        return await super().handle_DATA(server, session, envelope)


def start_cutting_sink(accept: int) -> CuttingSink:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = CuttingSink(port, accept)
    sink.controller = Controller(sink, hostname="127.0.0.1", port=port)
    sink.controller.start()
    return sink


def test_a_slice_cut_by_the_mail_server_resends_nothing_already_sent(community_a, alice, smtp_sink, settings):
    campaign = started_campaign(community_a, 9, "cut")
    cutting = start_cutting_sink(accept=4)
    settings.EMAIL_PORT = cutting.port
    try:
        with tenant_context(community_a), pytest.raises(Exception) as cut:
            sending.send_slice(campaign.pk, connection.tenant)
    finally:
        cutting.controller.stop()
    assert "421" in str(cut.value)
    with tenant_context(community_a):
        rows = statuses(campaign)
    first = {m["X-Envelope-To"] for m in cutting.messages}
    assert len(first) == 4 and cutting.refused == 1
    assert {email for email, (status, _e) in rows.items() if status == "sent"} == first
    # The refused message and everything after it wait, unclaimed; the accepted ones are stamped.
    assert Counter(status for status, _e in rows.values()) == {"sent": 4, "pending": len(rows) - 4}
    assert SentMail.objects.filter(schema=community_a.schema_name, key__startswith="campaign:").count() == 4

    settings.EMAIL_PORT = smtp_sink.port  # the server is back: the next slice finishes the campaign
    with tenant_context(community_a):
        result = sending.send_slice(campaign.pk, connection.tenant)
        rows = statuses(campaign)
    second = [m["X-Envelope-To"] for m in smtp_sink.messages]
    assert result.finished and result.sent == len(rows) - 4
    assert not first & set(second) and len(second) == len(set(second))
    assert first | set(second) == set(rows)
    assert Counter(status for status, _e in rows.values()) == {"sent": len(rows)}
    assert SentMail.objects.filter(
        schema=community_a.schema_name, key__startswith="campaign:"
    ).count() == len(rows)


def test_the_stamps_a_dead_worker_had_not_written_are_restored_when_the_campaign_ends(
    community_a, alice, smtp_sink
):
    campaign = started_campaign(community_a, 5, "stamp")
    with tenant_context(community_a):
        result = sending.send_slice(campaign.pk, connection.tenant, seconds=60)
        assert result.finished
        keys = [
            sending.mail_key(campaign, r) for r in Recipient.objects.filter(campaign=campaign, status="sent")
        ]
        # As if the worker had died after settling its messages, before writing their stamps.
        SentMail.objects.filter(key__in=keys[:3]).delete()
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
        assert sending.finish_if_done(campaign.pk)
    stamps = SentMail.objects.filter(schema=community_a.schema_name, key__in=keys)
    assert stamps.count() == len(keys)
    by_key = {s.key: s for s in stamps}
    with tenant_context(community_a):
        for row in Recipient.objects.filter(campaign=campaign):
            assert by_key[sending.mail_key(campaign, row)].message_id == row.message_id
            assert by_key[sending.mail_key(campaign, row)].recipients == [row.email]
    assert len(smtp_sink.messages) == len(keys)
