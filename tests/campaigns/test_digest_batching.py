"""The digest's delivery by batches, in-process through real SMTP (aiosmtpd): what is read once per
batch (opt-outs, suppression list, claims of the week, the collected payloads) is still obeyed for
every account of it, the work per message is one statement, a delivery the mail server cuts resends
nothing already sent, and the content stays the same (HTML and text, escaping, one-click link)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.campaigns import digest
from apps.mailing.models import DigestDelivery, DigestOptOut, SentMail, Suppression
from apps.members.services import grant_role
from apps.site.models import NewsItem

from .conftest import make_member
from .test_batching import start_cutting_sink
from .test_digest import news, text_of

pytestmark = pytest.mark.django_db


def collected(community, period: str, members: int, prefix: str) -> list[int]:
    """``members`` new members of ``community`` and this week's news, collected for ``period``:
    the ids of the accounts with a digest, in delivery order."""
    for index in range(members):
        make_member(community.schema_name, f"{prefix}{index:02d}@test.fr", first_name=f"P{index:02d}")
    news(community.schema_name, f"Nouvelle {prefix}")
    with tenant_context(community):
        digest.collect(period, timezone.now() - timedelta(days=7))
    return sorted(user_id for batch in digest.batches(period) for user_id in batch)


def user_id(address: str) -> int:
    return get_user_model().objects.get(email=address).pk


def test_stopped_suppressed_and_already_claimed_accounts_inside_a_batch_are_skipped_with_one_statement_per_message(
    community_a, smtp_sink
):
    period = "2026-W20"
    ids = collected(community_a, period, 14, "dg")
    DigestOptOut.objects.create(user_id=user_id("dg03@test.fr"))
    Suppression.objects.create(address="DG04@test.fr", reason=Suppression.Reason.BOUNCED)
    Suppression.objects.create(address="dg05@test.fr", reason=Suppression.Reason.COMPLAINED)
    get_user_model().objects.filter(email="dg06@test.fr").update(is_active=False)
    # A claim of the week without its digest (refused address): never a second attempt.
    DigestDelivery.objects.create(user_id=user_id("dg07@test.fr"), period=period)
    # Sent by a worker that died before writing its stamp: the stamp is written, nothing resent.
    DigestDelivery.objects.create(user_id=user_id("dg08@test.fr"), period=period, sent_at=timezone.now())
    # Another week's claim changes nothing.
    DigestDelivery.objects.create(user_id=user_id("dg09@test.fr"), period="2026-W19", sent_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        sent, rest = digest.deliver(period, ids, seconds=60)

    skipped = {f"dg0{n}@test.fr" for n in range(3, 9)}
    received = Counter(m["X-Envelope-To"] for m in smtp_sink.messages)
    everyone = {m for m in get_user_model().objects.filter(pk__in=ids).values_list("email", flat=True)}
    assert rest == [] and sent == len(ids) - len(skipped)
    assert set(received) == everyone - skipped and max(received.values()) == 1
    # One statement per message (claim it, settle the one before) and one to settle the last,
    # then a fixed number per batch and per delivery.
    steps = [q for q in queries.captured_queries if "WITH settled AS" in q["sql"]]
    assert len(steps) == sent + 1
    assert len(queries) - len(steps) <= 12, "\n".join(q["sql"][:90] for q in queries.captured_queries)

    claims = dict(DigestDelivery.objects.filter(period=period).values_list("user__email", "sent_at"))
    assert set(claims) == set(received) | {"dg07@test.fr", "dg08@test.fr"}
    assert all(claims[address] is not None for address in received) and claims["dg07@test.fr"] is None
    stamps = {
        stamp.recipients[0]: stamp
        for stamp in SentMail.objects.filter(schema="public", key__startswith=f"digest:{period}:")
    }
    assert set(stamps) == set(received) | {"dg08@test.fr"}
    for message in smtp_sink.messages:
        stamp = stamps[message["X-Envelope-To"]]
        assert stamp.message_id == message["Message-ID"] == digest.message_id(period, stamp_user(stamp))
        assert stamp.key == digest.mail_key(period, stamp_user(stamp)) and stamp.kind == "digest"

    # The same batch again (a retried task): nothing sent, nothing written twice.
    smtp_sink.clear()
    assert digest.deliver(period, ids) == (0, [])
    assert smtp_sink.messages == []
    assert SentMail.objects.filter(key__startswith=f"digest:{period}:").count() == len(stamps)


def stamp_user(stamp: SentMail) -> int:
    return int(stamp.key.rpartition(":")[2])


def test_a_delivery_cut_by_the_mail_server_resends_nothing_already_sent(community_a, smtp_sink, settings):
    period = "2026-W21"
    ids = collected(community_a, period, 9, "cut")
    cutting = start_cutting_sink(accept=4)
    settings.EMAIL_PORT = cutting.port
    try:
        with pytest.raises(Exception) as cut:
            digest.deliver(period, ids, seconds=60)
    finally:
        cutting.controller.stop()
    assert "421" in str(cut.value)
    first = {m["X-Envelope-To"] for m in cutting.messages}
    assert len(first) == 4 and cutting.refused == 1
    # The accepted ones are claimed as sent and stamped; the refused one's claim is released and
    # nothing after it is claimed.
    claims = dict(DigestDelivery.objects.filter(period=period).values_list("user__email", "sent_at"))
    assert set(claims) == first and all(claims.values())
    assert SentMail.objects.filter(key__startswith=f"digest:{period}:").count() == 4

    settings.EMAIL_PORT = smtp_sink.port  # the server is back: the retried batch sends the others
    sent, rest = digest.deliver(period, ids, seconds=60)
    second = [m["X-Envelope-To"] for m in smtp_sink.messages]
    assert (sent, rest) == (len(ids) - 4, [])
    assert not first & set(second) and len(second) == len(set(second))
    assert len(first | set(second)) == len(ids)
    assert DigestDelivery.objects.filter(period=period, sent_at__isnull=False).count() == len(ids)
    assert SentMail.objects.filter(key__startswith=f"digest:{period}:").count() == len(ids)


def test_the_digest_keeps_its_content_escaped_in_html_and_plain_in_text(community_a, community_b, smtp_sink):
    period = "2026-W22"
    zoe = make_member(community_a.schema_name, "zoe@test.fr", first_name="Zoé <b>&")
    with schema_context(community_b.schema_name):
        grant_role(user=zoe, role="member", dues_exempt=True)
    title = "Ateliers <script>alert(1)</script> & « soins » d'été"
    with schema_context(community_a.schema_name):
        NewsItem.objects.create(
            title=title, slug="ateliers", summary="Résumé <i>court</i>", status=NewsItem.Status.PUBLISHED,
            publish_at=timezone.now() - timedelta(days=1),
        )  # fmt: skip
    news(community_b.schema_name, "Bêta recrute")
    for community in (community_b, community_a):
        with tenant_context(community):
            digest.collect(period, timezone.now() - timedelta(days=7))

    assert digest.deliver(period, [zoe.pk]) == (1, [])
    (message,) = smtp_sink.to("zoe@test.fr")
    text = text_of(message).replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert message["Subject"].strip() == "Votre lettre de la semaine : CPTS Alpha, CPTS Bêta"
    assert text.startswith("Bonjour Zoé <b>&,\n\nVoici ce qui est nouveau cette semaine dans vos CPTS.\n")
    assert f"- {title} (Résumé <i>court</i>)" in text
    assert text.index("=== CPTS Alpha ===") < text.index("=== CPTS Bêta ===") < text.index("\n--\n")
    assert "<p>Bonjour Zoé &lt;b&gt;&amp;,</p>" in html
    assert "Ateliers &lt;script&gt;alert(1)&lt;/script&gt; &amp; « soins » d&#x27;été" in html
    assert "<script>" not in html and "\ue000" not in html + text
    assert html.index(">CPTS Alpha</h2>") < html.index(">CPTS Bêta</h2>")
    link = "".join(str(message["List-Unsubscribe"]).split())[1:-1]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert text.rstrip().endswith(link) and f'href="{link}"' in html
    assert message["Message-ID"] == digest.message_id(period, zoe.pk)
