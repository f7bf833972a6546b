"""The weekly digest: one e-mail per account across its CPTS, grouped by CPTS, nothing when
nothing is new, never an item of a CPTS the person is not a member of."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.text import slugify
from django_tenants.utils import schema_context, tenant_context

from apps.campaigns import digest, ratelimit
from apps.events.models import Event
from apps.mailing.models import DigestDelivery
from apps.members.services import grant_role
from apps.notifications.models import Notification, Preference
from apps.notifications.registry import Channel
from apps.site.models import NewsItem
from apps.working_groups.models import GroupDocument, GroupMember, WorkingGroup
from workers.campaigns import begin_digest_task

from .conftest import make_member

pytestmark = pytest.mark.django_db


def news(schema: str, title: str, *, days_ago: int = 1) -> None:
    with schema_context(schema):
        NewsItem.objects.create(
            title=title, slug=slugify(title), status=NewsItem.Status.PUBLISHED,
            publish_at=timezone.now() - timedelta(days=days_ago),
        )  # fmt: skip


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_person_in_two_cpts_gets_one_digest_listing_both_and_charlie_never_sees_a(
    community_a, community_b, bob, charlie, smtp_sink
):
    a, b = community_a.schema_name, community_b.schema_name
    dana = make_member(a, "dana@test.fr", first_name="Dana")
    with schema_context(b):
        grant_role(user=dana, role="member", dues_exempt=True)
    news(a, "Nouvelle maison de santé à Alpha")
    news(a, "Ancienne nouvelle Alpha", days_ago=20)  # older than the week: not new
    news(b, "Bêta recrute")
    with schema_context(b):
        start = timezone.now() + timedelta(days=5)
        Event.objects.create(title="Soirée Bêta", starts_at=start, ends_at=start + timedelta(hours=2))
    with schema_context(a):
        group = WorkingGroup.objects.create(name="Parcours BPCO")
        GroupMember.objects.create(group=group, user=dana)
        GroupDocument.objects.create(group=group, title="Compte rendu BPCO", file="wg/compte-rendu.pdf")

    assert begin_digest_task("2026-W49") >= 2
    assert begin_digest_task("2026-W49") == 0  # a second beat run of the same week does nothing

    to_dana = smtp_sink.to("dana@test.fr")
    assert len(to_dana) == 1
    body = text_of(to_dana[0])
    assert body.index("=== CPTS Alpha ===") < body.index("=== CPTS Bêta ===")
    for expected in ("Nouvelle maison de santé à Alpha", "Compte rendu BPCO", "Bêta recrute", "Soirée Bêta"):
        assert expected in body
    assert "Ancienne nouvelle Alpha" not in body
    assert "CPTS Alpha" in to_dana[0]["Subject"] and "CPTS Bêta" in to_dana[0]["Subject"]

    to_charlie = smtp_sink.to(charlie.email)
    assert len(to_charlie) == 1
    charlie_body = text_of(to_charlie[0]) + to_charlie[0].get_body(preferencelist=("html",)).get_content()
    assert "Bêta recrute" in charlie_body
    for alpha_item in ("Alpha", "Compte rendu BPCO"):
        assert alpha_item not in charlie_body

    to_bob = smtp_sink.to(bob.email)
    assert len(to_bob) == 1
    assert "Compte rendu BPCO" not in text_of(to_bob[0])  # not in bob's groups
    assert "Bêta" not in text_of(to_bob[0])


def test_nothing_new_means_no_digest(community_a, community_b, bob, charlie, smtp_sink):
    news(community_a.schema_name, "Vieille nouvelle", days_ago=30)
    begin_digest_task("2026-W50")
    assert smtp_sink.messages == []


def test_the_digest_obeys_each_persons_preferences_per_kind_and_cpts(
    community_a, community_b, bob, charlie, smtp_sink
):
    a, b = community_a.schema_name, community_b.schema_name
    dana = make_member(a, "dana@test.fr", first_name="Dana")
    with schema_context(b):
        grant_role(user=dana, role="member", dues_exempt=True)
    news(a, "Fête de la CPTS Alpha")
    news(b, "Bêta recrute")
    with schema_context(a):
        group = WorkingGroup.objects.create(name="Parcours BPCO")
        GroupMember.objects.create(group=group, user=bob)
        GroupMember.objects.create(group=group, user=dana)
        GroupDocument.objects.create(group=group, title="Compte rendu BPCO", file="wg/compte-rendu.pdf")
        # Notifications kept for the digest by the notification service (each chose the digest).
        for user in (bob, dana, charlie):
            Preference.objects.create(user=user, kind="events.reminder", channel=Channel.DIGEST)
            Notification.objects.create(
                user=user, kind="events.reminder", key=f"t:{user.pk}", title=f"Rappel Alpha pour {user.pk}",
                channel=Channel.DIGEST,
            )  # fmt: skip
        # bob: no news from Alpha; dana: the reminders at once now, no documents.
        Preference.objects.create(user=bob, kind="digest.news", channel=Channel.NEVER)
        Preference.objects.filter(user=dana, kind="events.reminder").update(channel=Channel.IMMEDIATE)
        Preference.objects.create(user=dana, kind="digest.documents", channel=Channel.NEVER)
    with schema_context(b):
        # The same choice in B is B's own: dana still gets B's news.
        Preference.objects.create(user=dana, kind="digest.news", channel=Channel.DIGEST)

    begin_digest_task("2026-W51")

    (to_bob,) = smtp_sink.to(bob.email)
    body = text_of(to_bob)
    assert "Fête de la CPTS Alpha" not in body
    assert "Compte rendu BPCO" in body and f"Rappel Alpha pour {bob.pk}" in body
    (to_dana,) = smtp_sink.to("dana@test.fr")
    body = text_of(to_dana)
    assert "Fête de la CPTS Alpha" in body and "Bêta recrute" in body
    assert "Compte rendu BPCO" not in body and "Rappel Alpha" not in body
    # charlie is not a member of A: never A's items, not even a row that names him there.
    for message in smtp_sink.to(charlie.email):
        assert "Alpha" not in text_of(message)
    with schema_context(a):
        carried = set(
            Notification.objects.filter(digested_at__isnull=False).values_list("user_id", flat=True)
        )
    assert carried == {bob.pk}


def test_a_second_run_of_the_same_week_sends_nothing_even_when_redis_forgot_it(
    community_a, community_b, bob, charlie, smtp_sink
):
    news(community_a.schema_name, "Nouvelle de la semaine")
    assert begin_digest_task("2026-W52") >= 2
    sent = len(smtp_sink.messages)
    assert sent >= 1
    # Redis lost the run (restart without persistence): the weekly claims are rows in the database.
    client = ratelimit.client()
    for key in client.scan_iter("digest:*"):
        client.delete(key)
    assert begin_digest_task("2026-W52") >= 2
    assert len(smtp_sink.messages) == sent
    assert DigestDelivery.objects.filter(period="2026-W52", user=bob).count() == 1


def test_a_digest_batch_gives_its_worker_back_after_a_slice_and_the_rest_follows(
    community_a, community_b, bob, charlie, smtp_sink
):
    period = "2026-W40"
    news(community_a.schema_name, "Nouvelle pour la tranche")
    with tenant_context(community_a):
        digest.collect(period, timezone.now() - timedelta(days=7))
    user_ids = [user_id for batch in digest.batches(period) for user_id in batch]
    assert len(user_ids) >= 2
    # A slice of no time sends one digest, then hands the others back to be queued again.
    sent, rest = digest.deliver(period, user_ids, seconds=0)
    assert sent == 1 and len(rest) == len(user_ids) - 1
    sent, rest = digest.deliver(period, rest)
    assert (sent, rest) == (len(user_ids) - 1, [])
    assert len(smtp_sink.messages) == len(user_ids)
