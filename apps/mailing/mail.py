"""The one way the platform sends an e-mail.

``send(key=..., to=..., subject=..., template=..., context=...)``:

- **French**: the subject and both bodies are rendered with French active (a Celery worker has no
  request to activate it), so ``gettext`` subjects and ``{% translate %}`` read in French;
- **per-CPTS sender**: ``From`` is the current CPTS's name with the platform's address
  (``DEFAULT_FROM_EMAIL``'s address; the platform's own name in the public schema), so every
  mail is signed by the platform's domain (DKIM is the provider's job, docs/notifications.md);
- **text and HTML**: ``<template>.txt`` is the text body; ``<template>.html`` the HTML one, or, when
  the feature wrote none, the text in the platform's layout (``mailing/email/layout.html``);
- **idempotent stamp**: with a ``key``, the send is claimed and stamped in a ``SentMail`` row,
  unique per (CPTS, key), written in the same transaction as the send; a retried or duplicated
  task finds it and sends nothing;
- **suppression list**: an address that hard-bounced receives nothing for 30 days; one that
  complained receives no optional mail (those carrying ``List-Unsubscribe``) any more.

Delivery guarantee: **at least once**. The stamp commits after the mail server accepted the
message; if the worker dies between the two, the stamp is lost with its transaction and the
retried task sends again (a rare duplicate). The other order (stamp first, then send) would lose
the mail for good on the same crash, and a receipt or a password link must not be lost. Two
workers racing on one key never both send: the claim is a PostgreSQL advisory lock on the key,
taken without waiting (the loser returns ``IN_PROGRESS`` at once instead of queueing behind a hung
mail server), then the stamp is looked up.

Transport errors (``smtplib.SMTPException``, connection refused, timeout) are raised to the caller:
nothing is stamped, and the task base (``workers.base.TenantTask``) retries with backoff.

A bulk sender (a campaign's slice) uses the same halves without a query per message: it checks the
suppression list for its whole batch (``suppressed_among``), claims each message itself, and sends
through an ``Outbox`` (one open connection; the ``SentMail`` rows written in one insert at the end).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import timedelta
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends import smtp
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django_tenants.utils import get_public_schema_name, get_tenant_model

from .models import SentMail, Suppression
from .stencil import Rendered

LAYOUT_TEMPLATE = "mailing/email/layout.html"


class Outcome(enum.Enum):
    """What ``send`` did. Callers keeping their own stamp stamp unless IN_PROGRESS."""

    SENT = "sent"
    ALREADY_SENT = "already-sent"
    IN_PROGRESS = "in-progress"
    SUPPRESSED = "suppressed"

    @property
    def done(self) -> bool:
        """True when nothing is left to do for this mail (sent now, before, or never to be sent)."""
        return self is not Outcome.IN_PROGRESS


def current_schema() -> str:
    return connection.schema_name or get_public_schema_name()


def current_community():
    """The CPTS whose schema the connection is in, or None in the public schema."""
    schema = current_schema()
    if schema == get_public_schema_name():
        return None
    tenant = getattr(connection, "tenant", None)
    model = get_tenant_model()
    if isinstance(tenant, model):
        return tenant
    # schema_context() sets a stand-in without the CPTS's fields: read the CPTS itself.
    return model.objects.filter(schema_name=schema).first()


def platform_address() -> str:
    """The platform's sending address (the one the provider signs)."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def sender(name: str | None = None) -> str:
    """« Name <platform address> »: ``name`` when given (a CPTS's own sender name for its
    campaigns), else the current CPTS's name (the platform's name in the public schema)."""
    if not name:
        community = current_community()
        name = community.name if community is not None else parseaddr(settings.DEFAULT_FROM_EMAIL)[0]
    return formataddr((name, platform_address()), charset="utf-8")


def new_message_id() -> str:
    return make_msgid(domain=sending_domain())


def sending_domain() -> str:
    return platform_address().rpartition("@")[2] or settings.PLATFORM_DOMAIN


def unsubscribe_headers(link: str) -> dict[str, str]:
    """``List-Unsubscribe`` with one-click POST (RFC 8058) for a non-transactional mail; ``link``
    must accept a POST without login (the signed token in it is the proof)."""
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# A hard bounce stops every mail to the address for this long (a full mailbox or a closed
# account may come back); a new bounce starts the delay again.
BOUNCE_SUPPRESSION_DAYS = 30


def is_suppressed(address: str, *, optional: bool = True) -> bool:
    return bool(suppressed_among([address], optional=optional))


def suppressed_among(addresses: Iterable[str], *, optional: bool = True) -> set[str]:
    """The addresses (bare, lower case) of ``addresses`` that must not receive this mail, in one
    query: a hard bounce of the last ``BOUNCE_SUPPRESSION_DAYS`` stops every mail; a complaint
    stops the ``optional`` ones only (campaigns, digests, notifications one can unsubscribe from):
    one CPTS's newsletter marked as spam never silences a password reset or a receipt."""
    bare = {parseaddr(address)[1].strip().lower() for address in addresses}
    bare.discard("")
    if not bare:
        return set()
    since = timezone.now() - timedelta(days=BOUNCE_SUPPRESSION_DAYS)
    stopping = Q(reason=Suppression.Reason.BOUNCED, created_at__gte=since)
    if optional:
        stopping |= Q(reason=Suppression.Reason.COMPLAINED)
    found = Suppression.objects.annotate(bare=Lower("address")).filter(stopping, bare__in=bare)
    return set(found.values_list("bare", flat=True))


def is_optional(headers: Mapping[str, str] | None) -> bool:
    """Whether a mail can be unsubscribed from (it carries ``List-Unsubscribe``)."""
    return any(name.lower() == "list-unsubscribe" for name in (headers or {}))


def _claim(schema: str, key: str) -> Outcome | None:
    """Take the key's advisory lock for this transaction without waiting; None when the caller may
    send, else why not."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [f"mail:{schema}:{key}"])
        (locked,) = cursor.fetchone()
    if not locked:
        return Outcome.IN_PROGRESS
    if SentMail.objects.filter(schema=schema, key=key).exists():
        return Outcome.ALREADY_SENT
    return None


def render_text(name: str, context: Mapping) -> str:
    """A plain-text template rendered without HTML escaping (an apostrophe stays an apostrophe)."""
    return get_template(name).template.render(Context(dict(context), autoescape=False))


def _html_body(template: str, context: Mapping, text: str) -> str:
    try:
        return get_template(f"{template}.html").render(dict(context))
    except TemplateDoesNotExist:
        return render_to_string(LAYOUT_TEMPLATE, {**context, "text": text})


def send(
    *,
    key: str | None,
    to: str | Iterable[str],
    subject: str,
    template: str,
    context: Mapping | None = None,
    kind: str = "",
    reply_to: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
    attachments: Iterable[tuple[str, bytes, str]] = (),
) -> Outcome:
    """Send one e-mail from the current CPTS (see the module's docstring for the guarantees).

    ``key`` names this mail within the CPTS (``"events.reminder:42"``): a second call with the same
    key sends nothing. ``None`` sends every time (an explicit « send again »). ``template`` is a
    path without extension. ``context`` gets ``community`` (the current CPTS) and, when given in
    it, ``unsubscribe_url`` is shown in the footer. ``attachments`` are (name, content, mimetype).
    """
    recipients = [to] if isinstance(to, str) else list(to)
    schema = current_schema()
    community = current_community()
    context = {"community": community, **(context or {})}
    with transaction.atomic():
        if key is not None and (refused := _claim(schema, key)) is not None:
            return refused
        optional = is_optional(headers) or bool(context.get("unsubscribe_url"))
        recipients = [
            address for address in recipients if address and not is_suppressed(address, optional=optional)
        ]
        if not recipients:
            return Outcome.SUPPRESSED
        with translation.override(settings.LANGUAGE_CODE):
            subject = " ".join(str(subject).split())
            text = render_text(f"{template}.txt", context)
            # The HTML layout has its own footer: the text one is added after.
            html = _html_body(template, context, text)
            if context.get("unsubscribe_url"):
                text += render_text("mailing/email/unsubscribe_footer.txt", context)
        message = build(
            to=recipients, subject=subject, text=text, html=html, reply_to=reply_to, headers=headers
        )
        for name, content, mimetype in attachments:
            message.attach(name, content, mimetype)
        return transmit(message, key=key, kind=kind)


def build(
    *,
    to: Iterable[str],
    subject: str,
    text: str,
    html: str,
    reply_to: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
    sender_name: str | None = None,
    message_id: str | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    """A message of the current CPTS with bodies the caller rendered (a bulk sender renders once
    for all its recipients): our sender, our ``Message-ID`` (``message_id`` or a new one), and the
    metadata the delivery webhooks read back. Send it with ``transmit``."""
    message_id = message_id or new_message_id()
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender(sender_name),
        to=list(to),
        reply_to=list(reply_to),
        headers={"Message-ID": message_id, **(headers or {})},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    # Read back by the delivery webhooks (apps.mailing.tracking): our id, whatever the provider's.
    message.metadata = {"schema": current_schema(), "message_id": message_id}
    return message


def transmit(message: EmailMultiAlternatives, *, key: str | None, kind: str = "") -> Outcome:
    """Hand a ``build`` message to the mail server unless every recipient is suppressed, then
    record it (``SentMail``: how a provider's bounce or complaint finds its CPTS and message).

    No claim here: ``send`` claims its key first; a bulk sender brings its own at-most-once claim
    (a campaign's recipient row) and gives a ``key`` unique in the CPTS. Transport errors are
    raised with nothing recorded. ``SMTPRecipientsRefused`` too (the caller decides)."""
    blocked = suppressed_among(message.to, optional=is_optional(message.extra_headers))
    message.to = [address for address in message.to if parseaddr(address)[1].strip().lower() not in blocked]
    if not message.to:
        return Outcome.SUPPRESSED
    message.send()
    stamp(message, key=key, kind=kind).save(force_insert=True)
    return Outcome.SENT


def stamp(message: EmailMultiAlternatives, *, key: str | None, kind: str) -> SentMail:
    """The (unsaved) ``SentMail`` row of a message the mail server accepted."""
    status = getattr(message, "anymail_status", None)
    return SentMail(
        schema=current_schema(),
        key=key,
        kind=kind,
        recipients=[parseaddr(address)[1] for address in message.to],
        subject=str(message.subject)[:300],
        message_id=message.extra_headers["Message-ID"],
        provider_message_id=_provider_id(getattr(status, "message_id", None))[:255],
    )


def _provider_id(value) -> str:
    """anymail's ``message_id``: one id, or a set of them when the provider gave each recipient
    its own; None before sending or on a backend without one."""
    if value is None:
        return ""
    if isinstance(value, set | frozenset | list | tuple):
        return ",".join(sorted(str(item) for item in value))
    return str(value)


def record(stamps: Iterable[SentMail]) -> None:
    """Write ``SentMail`` rows in one insert; a row already there (same key or Message-ID: written
    by an earlier attempt) is kept as it is."""
    rows = list(stamps)
    if rows:
        SentMail.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def recorded_keys(schema: str, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` have their ``SentMail`` row in CPTS ``schema``."""
    return set(SentMail.objects.filter(schema=schema, key__in=list(keys)).values_list("key", flat=True))


class Outbox:
    """Many ``build`` messages on one open connection to the mail server, for a bulk sender that
    checked the suppression list for its batch (``suppressed_among``) and brings its own
    at-most-once claim per message. ``send`` hands a message over (transport errors raised, like
    ``transmit``); the accepted ones are recorded (``SentMail``) in one insert by ``flush``, and on
    leaving the ``with`` block, even when it ends by an error: what the server accepted is recorded.

    ``send_bytes`` hands over a message already turned into bytes (``stencil.Rendered``), only
    when ``takes_bytes``: the connection is Django's SMTP backend, which sends bytes itself (a
    provider's API backend, django-anymail, reads the message's attributes instead).
    """

    def __init__(self) -> None:
        self.connection = get_connection()
        self._accepted: list[SentMail] = []

    def __enter__(self) -> Outbox:
        self.connection.open()
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.flush()
        finally:
            self.connection.close()

    @property
    def takes_bytes(self) -> bool:
        """Whether the connection sends the bytes of a message as Django's SMTP backend does."""
        return (
            isinstance(self.connection, smtp.EmailBackend)
            and type(self.connection)._send is smtp.EmailBackend._send
        )

    def send(self, message: EmailMultiAlternatives, *, key: str | None, kind: str = "") -> None:
        message.connection = self.connection
        message.send()
        self._accepted.append(stamp(message, key=key, kind=kind))

    def send_bytes(self, message: Rendered, *, key: str | None, kind: str = "") -> None:
        """What Django's SMTP backend does with a message, from its bytes (``takes_bytes`` only):
        transport errors and ``SMTPRecipientsRefused`` raised as ``send`` raises them."""
        if self.connection.connection is None:
            self.connection.open()
        self.connection.connection.sendmail(message.envelope_from, message.envelope_to, message.data)
        self._accepted.append(
            SentMail(
                schema=current_schema(), key=key, kind=kind,
                recipients=[parseaddr(address)[1] for address in message.to],
                subject=message.subject[:300], message_id=message.message_id,
            )
        )  # fmt: skip

    def flush(self) -> None:
        accepted, self._accepted = self._accepted, []
        record(accepted)
