"""The name of a digest's period is stored in the database (the weekly claims, the notifications
it carried): a name longer than those columns is refused at once, in words, before anything of the
run is recorded, rather than failing later in a worker with a database error."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.campaigns import digest, ratelimit
from apps.mailing.models import DigestDelivery
from apps.notifications.models import Notification, Preference
from apps.notifications.registry import Channel
from workers.campaigns import begin_digest_task

from .test_digest import news

pytestmark = pytest.mark.django_db

TOO_LONG = "2026-W49-essai"


def test_a_period_name_longer_than_its_columns_is_refused_before_anything_is_recorded(
    community_a, bob, smtp_sink
):
    assert len(TOO_LONG) > digest.PERIOD_MAX_LENGTH
    news(community_a.schema_name, "Nouvelle de la semaine")
    with schema_context(community_a.schema_name):
        Preference.objects.create(user=bob, kind="events.reminder", channel=Channel.DIGEST)
        Notification.objects.create(
            user=bob, kind="events.reminder", key="t:bob", title="Rappel pour bob", channel=Channel.DIGEST
        )

    with pytest.raises(ValueError, match=f"longer than {digest.PERIOD_MAX_LENGTH} characters"):
        begin_digest_task(TOO_LONG)
    with pytest.raises(ValueError, match="longer than"):
        digest.deliver(TOO_LONG, [bob.pk])
    with schema_context(community_a.schema_name), pytest.raises(ValueError, match="longer than"):
        digest.collect(TOO_LONG, digest.since_for(timezone.now()))

    assert not ratelimit.client().exists(f"digest:{TOO_LONG}:left")
    assert not DigestDelivery.objects.exists()
    assert smtp_sink.messages == []
    with schema_context(community_a.schema_name):
        assert Notification.objects.get(key="t:bob").digested_at is None


def test_the_longest_period_name_allowed_is_sent_and_claimed(community_a, bob, smtp_sink):
    period = "x" * digest.PERIOD_MAX_LENGTH
    news(community_a.schema_name, "Nouvelle de la semaine")
    assert begin_digest_task(period) >= 1
    assert len(smtp_sink.to(bob.email)) == 1
    assert DigestDelivery.objects.filter(period=period, user=bob, sent_at__isnull=False).count() == 1
