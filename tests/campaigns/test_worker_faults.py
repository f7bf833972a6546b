"""The pipeline with real Celery workers: a worker killed mid-send, then restarted, sends each
recipient at most once and the campaign resumes; a transactional mail overtakes a campaign."""

from __future__ import annotations

import os
import signal
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.campaigns.models import Campaign, Recipient
from apps.members.models import Invitation, Membership
from apps.members.services import grant_role
from tests.conftest import start_worker, stop_worker, wait_until
from workers.accounts import send_invitation_task
from workers.campaigns import send_campaign_task, start_campaign_task

from .conftest import start_sink

pytestmark = pytest.mark.worker


@contextmanager
def committed_campaign(world, count: int, *, prefix: str):
    """``count`` committed members of A (à jour) and a campaign to them, due now; removed after."""
    users = get_user_model().objects
    created = [users.create_user(f"{prefix}{index:04d}@test.fr", "x-password-123") for index in range(count)]
    schema = world.a.schema_name
    with schema_context(schema):
        for user in created:
            grant_role(user=user, role="member", dues_exempt=True)
        campaign = Campaign.objects.create(
            subject=f"Campagne {prefix}", body="<p>Bonjour</p>", status=Campaign.Status.SCHEDULED,
            scheduled_at=timezone.now(), audience={"working_group": None},
        )  # fmt: skip
    try:
        yield campaign, [u.email for u in created]
    finally:
        with schema_context(schema):
            Campaign.objects.filter(pk=campaign.pk).delete()
            Membership.objects.filter(user__in=created).delete()
            Invitation.objects.filter(email__startswith=prefix).delete()
            # Inside the schema: deleting an account cascades to this CPTS's rows that point at it.
            users.filter(pk__in=[u.pk for u in created]).delete()


def campaign_total(schema: str, campaign) -> int:
    with schema_context(schema):
        return Campaign.objects.get(pk=campaign.pk).recipients_total


def worker_env(sink, **extra) -> dict:
    env = {
        "TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
    }
    env.update(extra)
    return env


@pytest.fixture
def no_eager():
    from cpts_platform.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


def test_a_worker_killed_mid_campaign_then_restarted_sends_each_recipient_at_most_once(
    world, django_db_blocker, tmp_path, no_eager
):
    schema = world.a.schema_name
    queue = f"campaign-kill-{os.getpid()}"
    sink = start_sink()
    try:
        with (
            django_db_blocker.unblock(),
            committed_campaign(world, 120, prefix="kill") as (campaign, addresses),
        ):
            # 30 messages a second for this CPTS: the campaign takes about 4 s.
            env = worker_env(sink, MAIL_RATE_PER_CPTS="30")
            doomed = start_worker(
                tmp_path / "doomed", hostname=f"doomed-{os.getpid()}@%h", queues=queue, env=env
            )
            try:
                start_campaign_task.apply_async((schema, campaign.pk), queue=queue)
                wait_until(lambda: len(sink.messages) >= 40, timeout=60)
                os.kill(doomed.process.pid, signal.SIGKILL)
                doomed.process.wait(15)
            finally:
                stop_worker(doomed)
            received_before_restart = len(sink.messages)
            with schema_context(schema):
                left = Recipient.objects.filter(campaign=campaign, status=Recipient.Status.PENDING).count()
            assert 0 < left < campaign_total(schema, campaign), "killed in the middle of the campaign"

            # Another worker starts; Redis hands the killed worker's slice out again (visibility
            # timeout 5 s here), and the beat's resume queues one more chain: both run at once.
            second = start_worker(
                tmp_path / "second", hostname=f"second-{os.getpid()}@%h", queues=queue,
                env={**env, "CELERY_VISIBILITY_TIMEOUT": "5"},
            )  # fmt: skip
            try:
                send_campaign_task.apply_async((schema, campaign.pk), queue=queue)

                def nothing_pending():
                    with schema_context(schema):
                        return not Recipient.objects.filter(
                            campaign=campaign, status=Recipient.Status.PENDING
                        ).exists()

                wait_until(nothing_pending, timeout=90)
                wait_until(lambda: "campaigns.send_campaign" in second.log(), timeout=30)
            finally:
                stop_worker(second)
            with schema_context(schema):
                rows = dict(Recipient.objects.filter(campaign=campaign).values_list("email", "status"))
    finally:
        sink.controller.stop()

    received = Counter(m["X-Envelope-To"] for m in sink.messages)
    assert max(received.values()) == 1, [a for a, n in received.items() if n > 1]
    assert set(addresses) <= set(rows)
    assert set(received) <= set(rows)
    statuses = Counter(rows.values())
    # At most the one message in flight when the worker died stays unconfirmed, never resent.
    assert statuses[Recipient.Status.SENDING] + statuses[Recipient.Status.INTERRUPTED] <= 1
    assert statuses[Recipient.Status.SENT] >= len(rows) - 1
    assert {a for a, s in rows.items() if s == Recipient.Status.SENT} <= set(received)
    assert len(sink.messages) > received_before_restart, "the campaign resumed after the restart"
    print(
        f"killed after {received_before_restart} messages; {len(received)} distinct addresses received, once each"
    )


def test_a_transactional_mail_overtakes_a_running_campaign(world, django_db_blocker, tmp_path, no_eager):
    schema = world.a.schema_name
    priority, bulk = f"prio-{os.getpid()}", f"bulk-{os.getpid()}"
    sink = start_sink()
    try:
        with (
            django_db_blocker.unblock(),
            committed_campaign(world, 200, prefix="wave") as (campaign, _addresses),
        ):
            with schema_context(schema):
                invitation = Invitation.objects.create(
                    email="wave-invited@test.fr", token_hash="wave-" + "0" * 59,
                    expires_at=timezone.now() + timedelta(days=3),
                )  # fmt: skip
            worker = start_worker(
                tmp_path / "worker", hostname=f"mail-{os.getpid()}@%h", queues=f"{priority},{bulk}",
                env=worker_env(sink, MAIL_RATE_PER_CPTS="20"),
            )  # fmt: skip
            try:
                start_campaign_task.apply_async((schema, campaign.pk), queue=bulk)
                wait_until(lambda: len(sink.messages) >= 20, timeout=60)
                send_invitation_task.apply_async((schema, invitation.pk), queue=priority)
                wait_until(lambda: sink.to("wave-invited@test.fr"), timeout=60)

                def finished():
                    with schema_context(schema):
                        return Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENT).exists()

                wait_until(finished, timeout=90)
            finally:
                stop_worker(worker)
    finally:
        sink.controller.stop()

    order = [m["X-Envelope-To"] for m in sink.messages]
    position = order.index("wave-invited@test.fr")
    campaign_after = len(order) - position - 1
    # The invitation did not wait for the campaign's end: most of the campaign came after it.
    (tmp_path / "../../overtake.log").write_text(worker.log()) if os.environ.get("KEEP_LOG") else None
    assert campaign_after >= 50, (position, len(order))
    print(f"invitation delivered after {position} campaign messages, {campaign_after} still to go")
