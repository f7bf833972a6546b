"""The weekly digest: one e-mail per account across its CPTS, grouped by CPTS, nothing when
nothing is new, never an item of a CPTS the person is not a member of."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from django.utils.text import slugify
from django_tenants.utils import schema_context, tenant_context

from apps.campaigns import digest, ratelimit
from apps.events.models import Event
from apps.mailing.models import DigestDelivery, DigestOptOut
from apps.members.services import grant_role
from apps.notifications import service
from apps.notifications.models import Notification, Preference
from apps.notifications.registry import Channel
from apps.site.models import NewsItem
from apps.working_groups.models import GroupDocument, GroupMember, WorkingGroup
from tests.conftest import HOST_A, HOST_B, PLATFORM_HOST, signed_in_client
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


def _digest_link(message) -> str:
    """The one-click link of a digest (a long header is folded, RFC 5322)."""
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    folded = "".join(str(message["List-Unsubscribe"]).split())
    return re.fullmatch(r"<(http://localhost/lettre-de-la-semaine/desabonnement/[^/>]+/)>", folded).group(1)


def test_the_digest_carries_a_one_click_unsubscribe_naming_the_account_that_stops_every_cpts_digest(
    community_a, community_b, bob, smtp_sink
):
    a, b = community_a.schema_name, community_b.schema_name
    dana = make_member(a, "dana@test.fr", first_name="Dana")
    with schema_context(b):
        grant_role(user=dana, role="member", dues_exempt=True)
    news(a, "Alpha ouvre une permanence")
    news(b, "Bêta recrute")
    begin_digest_task("2026-W41")

    (first,) = smtp_sink.to("dana@test.fr")
    link = _digest_link(first)
    # The same link in both footers; the token names the account, not a CPTS.
    assert link in text_of(first) and link in first.get_body(preferencelist=("html",)).get_content()
    token = link.rstrip("/").rpartition("/")[2]
    assert signing.loads(token, salt=service.DIGEST_UNSUBSCRIBE_SALT) == {"u": dana.pk}
    assert "Choisir ce que la CPTS Alpha vous envoie" in text_of(first)
    (to_bob,) = smtp_sink.to(bob.email)
    assert _digest_link(to_bob) != link

    path = link.removeprefix("http://localhost")
    anonymous = Client(HTTP_HOST=PLATFORM_HOST, enforce_csrf_checks=True)
    # A link scanner's GET stops nothing: a French page asks to confirm.
    page = anonymous.get(path)
    assert page.status_code == 200 and "Ne plus recevoir la lettre" in page.content.decode()
    assert not DigestOptOut.objects.exists()
    # The mail client's one-click POST, without login or CSRF token; twice is the same.
    for _ in range(2):
        done = anonymous.post(
            path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert done.status_code == 200
        assert "vous ne recevrez plus la lettre de la semaine" in done.content.decode()
    assert list(DigestOptOut.objects.values_list("user_id", flat=True)) == [dana.pk]

    # The next week: nothing to dana from either CPTS; bob still gets his.
    smtp_sink.clear()
    news(a, "Alpha, la semaine suivante")
    news(b, "Bêta, la semaine suivante")
    with schema_context(a):
        Preference.objects.create(user=dana, kind="events.reminder", channel=Channel.DIGEST)
        Notification.objects.create(
            user=dana, kind="events.reminder", key="t:dana", title="Rappel pour Dana", channel=Channel.DIGEST
        )
    begin_digest_task("2026-W42")
    assert smtp_sink.to("dana@test.fr") == []
    assert len(smtp_sink.to(bob.email)) == 1
    with schema_context(a):
        # Not carried by a digest she did not get: still waiting, listed in her member space.
        assert Notification.objects.get(key="t:dana").digested_at is None

    # She switches it back on from « Mes notifications » (any of her CPTS): the next one comes.
    client = signed_in_client(dana, HOST_B)
    page = client.get("/mon-espace/notifications/").content.decode()
    assert "Vous ne recevez pas la lettre de la semaine." in page
    assert client.post("/mon-espace/notifications/", {"lettre": "oui"}).status_code == 302
    assert not DigestOptOut.objects.exists()
    news(b, "Bêta, encore une semaine")
    begin_digest_task("2026-W43")
    (again,) = smtp_sink.to("dana@test.fr")
    assert "Rappel pour Dana" in text_of(again) and "Bêta, encore une semaine" in text_of(again)
    # And off again from the same page.
    assert client.post("/mon-espace/notifications/", {"lettre": "non"}).status_code == 302
    assert list(DigestOptOut.objects.values_list("user_id", flat=True)) == [dana.pk]


def test_a_forged_or_altered_digest_unsubscribe_link_changes_nothing(community_a, bob, smtp_sink):
    news(community_a.schema_name, "Nouvelle pour bob")
    begin_digest_task("2026-W44")
    (first,) = smtp_sink.to(bob.email)
    path = _digest_link(first).removeprefix("http://localhost")
    token = path.rstrip("/").rpartition("/")[2]
    with tenant_context(community_a):
        # A CPTS's own unsubscribe token for bob (another salt, another meaning).
        other = service.unsubscribe_token("digest.news", address=bob.email, user_id=bob.pk)
    forged = signing.dumps({"u": bob.pk}, salt="quelque-chose-d-autre")
    altered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    anonymous = Client(HTTP_HOST=PLATFORM_HOST)
    for bad in (altered, forged, other, "n-importe-quoi"):
        for method in (anonymous.get, anonymous.post):
            response = method(f"/lettre-de-la-semaine/desabonnement/{bad}/")
            assert response.status_code == 404
            assert "Ce lien de désabonnement n'est pas valable" in response.content.decode()
    assert not DigestOptOut.objects.exists()
    # An unknown choice on the member page is refused in French, nothing changed.
    refused = signed_in_client(bob, HOST_A).post("/mon-espace/notifications/", {"lettre": "peut-etre"})
    assert refused.status_code == 400 and "Choix de réception inconnu." in refused.content.decode()
    assert not DigestOptOut.objects.exists()
    smtp_sink.clear()
    news(community_a.schema_name, "Nouvelle suivante")
    begin_digest_task("2026-W45")
    assert len(smtp_sink.to(bob.email)) == 1
