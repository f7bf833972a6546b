"""The digest's delivery with real Celery workers: a worker killed in the middle of a batch, then
another one running the same batch twice (Redis handing the killed worker's task out again, and
the batch queued once more), sends each account its digest at most once, finishes
the others, and leaves a ``SentMail`` row for every digest it settled as sent."""

from __future__ import annotations

import os
import signal
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.campaigns import digest
from apps.mailing.models import DigestDelivery, SentMail
from apps.members.models import Membership
from apps.members.services import grant_role
from apps.site.models import NewsItem
from tests.conftest import start_worker, stop_worker, wait_until
from workers.campaigns import send_digests_task

from .conftest import start_sink
from .test_worker_faults import no_eager, worker_env  # noqa: F401 - no_eager is a fixture

pytestmark = pytest.mark.worker


@contextmanager
def committed_digest(world, count: int, *, period: str, prefix: str):
    """``count`` committed members of A, this week's news in A, collected for ``period``: yields
    the ids of the accounts with a digest (A's other members too); everything removed after."""
    users = get_user_model().objects
    created = [users.create_user(f"{prefix}{index:04d}@test.fr", "x-password-123") for index in range(count)]
    with schema_context(world.a.schema_name):
        for user in created:
            grant_role(user=user, role="member", dues_exempt=True)
        item = NewsItem.objects.create(
            title=f"Nouvelle {prefix}", slug=f"nouvelle-{prefix}", status=NewsItem.Status.PUBLISHED,
            publish_at=timezone.now() - timedelta(days=1),
        )  # fmt: skip
    try:
        with tenant_context(world.a):
            digest.collect(period, timezone.now() - timedelta(days=7))
        yield sorted(user_id for batch in digest.batches(period) for user_id in batch)
    finally:
        DigestDelivery.objects.filter(period=period).delete()
        SentMail.objects.filter(key__startswith=f"digest:{period}:").delete()
        with schema_context(world.a.schema_name):
            NewsItem.objects.filter(pk=item.pk).delete()
            Membership.objects.filter(user__in=created).delete()
            users.filter(pk__in=[u.pk for u in created]).delete()


def stamped(period: str) -> set[str]:
    return set(
        SentMail.objects.filter(key__startswith=f"digest:{period}:").values_list("message_id", flat=True)
    )


def settled(period: str) -> set[str]:
    """The Message-IDs of the digests whose claim is settled as sent."""
    rows = DigestDelivery.objects.filter(period=period, sent_at__isnull=False).values_list(
        "user_id", flat=True
    )
    return {digest.message_id(period, pk) for pk in rows}


def test_a_worker_killed_mid_digest_then_the_batch_run_twice_sends_each_account_at_most_once(
    world,
    django_db_blocker,
    tmp_path,
    no_eager,  # noqa: F811
):
    period = f"k{os.getpid() % 10**8}"
    queue = f"digest-kill-{os.getpid()}"
    sink = start_sink()
    try:
        with django_db_blocker.unblock(), committed_digest(world, 120, period=period, prefix="dkill") as ids:
            # 30 digests a second: the batch takes about 4 s, in slices of 2 s.
            env = worker_env(sink, MAIL_RATE_PER_CPTS="30")
            doomed = start_worker(
                tmp_path / "doomed", hostname=f"doomed-{os.getpid()}@%h", queues=queue, env=env
            )
            try:
                send_digests_task.apply_async((period, ids), queue=queue)
                wait_until(lambda: len(sink.messages) >= 40, timeout=60)
                os.kill(doomed.process.pid, signal.SIGKILL)
                doomed.process.wait(15)
            finally:
                stop_worker(doomed)
            received_before_restart = len(sink.messages)
            claimed = DigestDelivery.objects.filter(period=period).count()
            assert 0 < claimed < len(ids), "killed in the middle of the batch"

            # Another worker; Redis hands the killed worker's task out again (visibility timeout
            # 5 s here) and the same batch is queued once more: it runs twice.
            second = start_worker(
                tmp_path / "second", hostname=f"second-{os.getpid()}@%h", queues=queue,
                env={**env, "CELERY_VISIBILITY_TIMEOUT": "5"},
            )  # fmt: skip
            try:
                send_digests_task.apply_async((period, ids), queue=queue)
                wait_until(
                    lambda: DigestDelivery.objects.filter(period=period).count() == len(ids), timeout=90
                )
                wait_until(
                    lambda: len({m["X-Envelope-To"] for m in sink.messages}) >= len(ids) - 1, timeout=30
                )
                # Each slice writes its stamps as it ends; the runs after the kill restore those
                # the killed worker had not written.
                wait_until(lambda: stamped(period) == settled(period), timeout=30)
            finally:
                stop_worker(second)
            claims = dict(DigestDelivery.objects.filter(period=period).values_list("user__email", "sent_at"))
            stamps, sent = stamped(period), settled(period)
    finally:
        sink.controller.stop()

    received = Counter(m["X-Envelope-To"] for m in sink.messages)
    assert max(received.values()) == 1, [a for a, n in received.items() if n > 1]
    assert len(claims) == len(ids) and set(received) <= set(claims)
    # At most the digest in flight when the worker died stays unconfirmed, never sent again.
    unconfirmed = [address for address, sent_at in claims.items() if sent_at is None]
    assert len(unconfirmed) <= 1 and len(received) >= len(ids) - 1
    assert {address for address, sent_at in claims.items() if sent_at} <= set(received)
    # The stamps the killed worker had not written yet were written by the runs after it.
    assert stamps == sent
    assert len(sink.messages) > received_before_restart, "the batch resumed after the restart"
    print(f"killed after {received_before_restart} digests; {len(received)} accounts received one each")
