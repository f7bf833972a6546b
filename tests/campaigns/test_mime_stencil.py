"""A campaign's messages from its stencil (``apps.mailing.stencil``) are the messages Django builds:
the same bytes but for the MIME boundary and the Date, the same headers and decoded parts once
parsed, for non-ASCII names and subjects (encoded-words, folded), 7bit, 8bit and quoted-printable
bodies, and the unsubscribe link landing anywhere in a quoted-printable line. A recipient the
stencil cannot reproduce gets its message built; a backend that does not send bytes (anymail,
locmem) gets built messages only."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.core import mail as django_mail
from django.core.mail.message import sanitize_address
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.campaigns import sending
from apps.campaigns.models import Campaign, Recipient
from apps.mailing import mail
from apps.mailing.models import SentMail
from apps.mailing.stencil import Rendered, Stencil

from .conftest import make_member

pytestmark = pytest.mark.django_db

MARK = "https://unsubscribe.invalid/mark"
_DATE = re.compile(rb"^Date: [^\r\n]*\r\n", re.MULTILINE)


def _boundary(data: bytes) -> bytes:
    return re.search(rb'boundary="([^"]+)"', data).group(1)


def assert_same_message(built, rendered: Rendered) -> None:
    """``rendered`` is what Django's SMTP backend sends for ``built``, but for boundary and Date."""
    expected = built.message().as_bytes(linesep="\r\n")
    assert rendered.envelope_from == sanitize_address(built.from_email, "utf-8")
    assert rendered.envelope_to == [sanitize_address(address, "utf-8") for address in built.recipients()]
    ours = _DATE.sub(b"Date: -\r\n", rendered.data)
    theirs = _DATE.sub(b"Date: -\r\n", expected).replace(_boundary(expected), _boundary(rendered.data))
    assert ours == theirs
    a = email.message_from_bytes(expected, policy=email.policy.default)
    b = email.message_from_bytes(rendered.data, policy=email.policy.default)
    assert a.defects == b.defects == []

    def headers(message):
        return [(name, str(value)) for name, value in message.items() if name not in ("Date", "Content-Type")]

    assert headers(a) == headers(b)
    assert a.get_content_type() == b.get_content_type() == "multipart/alternative"
    assert email.utils.parsedate_to_datetime(b["Date"]) is not None

    def parts(message):
        return [
            (part.get_content_type(), part["Content-Transfer-Encoding"], part.get_content())
            for part in message.iter_parts()
        ]

    assert parts(a) == parts(b)


def _build(*, to: str, subject: str, text: str, html: str, link: str, message_id: str, sender_name="CPTS"):
    return mail.build(
        to=[to], subject=subject, text=text.replace(MARK, link), html=html.replace(MARK, link),
        reply_to=["Équipe Coordination <coordination@cpts.test>"], sender_name=sender_name,
        headers={"Precedence": "bulk", **mail.unsubscribe_headers(link)}, message_id=message_id,
    )  # fmt: skip


CASES = {
    "8bit": ("Lettre d'été — réunion ✓", "Bonjour à tous,\nLa réunion a lieu à 18 h.\n\n" + MARK + "\n",
             "<p>Réunion</p>\n<a href=\"" + MARK + "\">Se désabonner</a>\n"),
    "7bit": ("Plain letter", "Hello\r\nsee " + MARK + " to stop\r\n", "<p>Hello</p><a href=\"" + MARK + "\">x</a>"),
    "quoted-printable": (
        "Une lettre au titre très long, avec des accents é è à ç, qui sera pliée sur plusieurs lignes "
        "d'en-tête par le générateur",
        ("Été " * 300) + "\n" + MARK + " et encore " + MARK + "\n" + ("x" * 1100) + MARK + "=fin \n",
        "<p>" + "Bonjour à toutes et à tous. " * 60 + "</p>\n<a href=\"" + MARK + "\">stop</a>\n",
    ),
}  # fmt: skip
RECIPIENTS = [
    "simple@exemple.fr",
    "Jean Dupont <jean.dupont+cpts@exemple.fr>",
    "Éloïse Dupré-Müller <eloise@exemple.fr>",
    '"Dupont, Jean (kiné)" <jd@exemple.fr>',
    email.utils.formataddr(
        ("Marie-Françoise de La Tour d'Auvergne-Lauraguais, infirmière coordinatrice", "mf@exemple.fr")
    ),
    email.utils.formataddr(("Paul « le kiné » O'Brien, cabinet des Tilleuls", "paul@exemple.fr")),
]


@pytest.mark.parametrize("case", CASES)
def test_a_stencil_gives_each_recipient_the_message_django_builds(world, case):
    subject, text, html = CASES[case]
    stand_in = _build(to="x@stencil.invalid", subject=subject, text=text, html=html, link=MARK,
                      message_id="<stencil@stencil.invalid>", sender_name="CPTS Val-de-Morelle – Équipe")  # fmt: skip
    stencil = Stencil.of(stand_in, mark=MARK)
    assert stencil is not None
    for index, to in enumerate(RECIPIENTS):
        link = f"http://alpha.localhost/notifications/desabonnement/{'Tk-_:.' * (index * 7 + 3)}{index}/"
        message_id = f"<campaign.1.{index}.alpha@cpts.test>"
        built = _build(to=to, subject=subject, text=text, html=html, link=link, message_id=message_id,
                       sender_name="CPTS Val-de-Morelle – Équipe")  # fmt: skip
        rendered = stencil.render(to=[to], message_id=message_id, value=link)
        assert rendered is not None
        assert_same_message(built, rendered)
        assert built.message().get_payload()[0]["Content-Transfer-Encoding"] == case
        parsed = email.message_from_bytes(rendered.data, policy=email.policy.default)
        assert all(link in part.get_content() for part in parsed.iter_parts())
        assert link in "".join(parsed["List-Unsubscribe"].split())


def test_the_link_lands_anywhere_in_a_quoted_printable_line(world):
    """Soft line breaks every 76 characters: the link at every column, with '=' and spaces around."""
    for column in range(0, 80, 3):
        text = "é" * column + MARK + " =" + "a" * 1000 + "\n" + "b" * column + " " + MARK + " \n"
        stand_in = _build(to="x@stencil.invalid", subject="S", text=text, html="<p>" + MARK + "</p>",
                          link=MARK, message_id="<s@stencil.invalid>")  # fmt: skip
        stencil = Stencil.of(stand_in, mark=MARK)
        for length in (40, 77, 150, 301):
            link = "https://alpha.localhost/d/" + "A=b" * (length // 3)
            link = link.replace("=", "9")  # what a signed token may hold: [A-Za-z0-9_:.-/]
            built = _build(to="a@b.fr", subject="S", text=text, html="<p>" + MARK + "</p>", link=link,
                           message_id="<m@cpts.test>")  # fmt: skip
            rendered = stencil.render(to=["a@b.fr"], message_id="<m@cpts.test>", value=link)
            assert_same_message(built, rendered)


def test_a_recipient_whose_link_would_change_the_encoding_gets_none():
    """A line just under Django's 998-byte limit with the mark, over it with a long link: Django
    would switch the part to quoted-printable; the stencil does not guess, the message is built."""
    text = "z" * (990 - len(MARK)) + MARK + "\n"
    stand_in = _build(to="x@stencil.invalid", subject="S", text=text, html="<p>h</p>", link=MARK,
                      message_id="<s@stencil.invalid>")  # fmt: skip
    stencil = Stencil.of(stand_in, mark=MARK)
    assert (
        stencil.render(to=["a@b.fr"], message_id="<m@cpts.test>", value="https://a.fr/" + "t" * 5) is not None
    )
    assert stencil.render(to=["a@b.fr"], message_id="<m@cpts.test>", value="https://a.fr/" + "t" * 40) is None
    # Not printable ASCII, or holding the mark: built too.
    assert stencil.render(to=["a@b.fr"], message_id="<m@cpts.test>", value="https://é.fr/") is None
    assert stencil.render(to=["a@b.fr"], message_id="<m@cpts.test>", value=MARK + "x") is None


def test_a_message_the_stencil_cannot_reproduce_has_no_stencil():
    with_attachment = _build(to="x@stencil.invalid", subject="S", text=MARK, html=MARK, link=MARK,
                             message_id="<s@stencil.invalid>")  # fmt: skip
    with_attachment.attach("a.txt", b"data", "text/plain")
    assert Stencil.of(with_attachment, mark=MARK) is None
    subject_with_mark = _build(to="x@stencil.invalid", subject=MARK, text=MARK, html=MARK, link=MARK,
                               message_id="<s@stencil.invalid>")  # fmt: skip
    assert Stencil.of(subject_with_mark, mark=MARK) is None


def _campaign(community, body: str, subject: str) -> Campaign:
    with tenant_context(community):
        return Campaign.objects.create(
            subject=subject, body=body, status=Campaign.Status.SCHEDULED, scheduled_at=timezone.now(),
            audience={"working_group": None}, sender_name="Équipe de coordination — CPTS Alpha",
        )  # fmt: skip


def test_the_composer_renders_what_it_builds_for_every_recipient(community_a):
    long_body = "<p>" + "Bonjour à toutes et à tous, voici les nouvelles de la CPTS. " * 20 + "</p>"
    for body in ("<p>Réunion jeudi à 18 h, salle Pasteur.</p>", long_body):
        campaign = _campaign(community_a, body, "Lettre de décembre — agenda")
        with tenant_context(community_a):
            composer = sending.Composer(campaign, community_a)
            for pk, (address, name) in enumerate(
                [
                    ("bob@test.fr", ""),
                    ("eloise@exemple.fr", "Éloïse Dupré-Müller"),
                    ("jd@exemple.fr", "Dupont, Jean"),
                ],
                start=1,
            ):
                recipient = Recipient(pk=pk, campaign=campaign, email=address, name=name, user_id=pk)
                rendered = composer.render(recipient)
                assert rendered is not None
                assert_same_message(composer.build(recipient), rendered)


def test_a_campaign_goes_out_as_stencil_bytes_over_smtp_and_as_built_messages_elsewhere(
    community_a, alice, smtp_sink, settings
):
    make_member("alpha", "eloise@exemple.fr", first_name="Éloïse", last_name="Dupré")
    campaign = _campaign(community_a, "<p>Réunion jeudi à 18 h.</p>", "Lettre — décembre")
    with tenant_context(community_a):
        assert sending.start(campaign.pk)
        recipients = {r.email: r for r in Recipient.objects.filter(campaign=campaign)}
        with mail.Outbox() as outbox:
            assert outbox.takes_bytes
        result = sending.send_slice(campaign.pk, community_a)
        assert result.finished and result.sent == len(recipients) >= 2
        composer = sending.Composer(campaign, community_a)
        for received in smtp_sink.messages:
            (address,) = received["X-Envelope-To"].split(",")
            row = recipients[address]
            row.refresh_from_db()
            built = email.message_from_bytes(
                composer.build(row).message().as_bytes(linesep="\r\n"), policy=email.policy.default
            )
            assert received["Message-ID"] == row.message_id == built["Message-ID"]
            for name in ("To", "From", "Subject", "Reply-To", "List-Unsubscribe", "List-Unsubscribe-Post"):
                assert str(received[name]) == str(built[name])
            assert [p.get_content() for p in received.iter_parts()] == [
                p.get_content() for p in built.iter_parts()
            ]
        assert SentMail.objects.filter(schema="alpha", kind=sending.CAMPAIGN_KIND).count() == len(recipients)

    # A provider's backend (anymail) and the locmem one read the message's attributes: built messages.
    for backend in ("anymail.backends.test.EmailBackend", "django.core.mail.backends.locmem.EmailBackend"):
        settings.EMAIL_BACKEND = backend
        django_mail.outbox = []
        again = _campaign(community_a, "<p>Encore</p>", "Deuxième lettre")
        with tenant_context(community_a):
            assert sending.start(again.pk)
            with mail.Outbox() as outbox:
                assert not outbox.takes_bytes
            assert sending.send_slice(again.pk, community_a).finished
            count = Recipient.objects.filter(campaign=again).count()
        assert len(django_mail.outbox) == count
        assert all(message.metadata["schema"] == "alpha" for message in django_mail.outbox)
