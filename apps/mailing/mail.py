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
- **suppression list**: an address that hard-bounced or complained receives nothing.

Delivery guarantee: **at least once**. The stamp commits after the mail server accepted the
message; if the worker dies between the two, the stamp is lost with its transaction and the
retried task sends again (a rare duplicate). The other order (stamp first, then send) would lose
the mail for good on the same crash, and a receipt or a password link must not be lost. Two
workers racing on one key never both send: the claim is a PostgreSQL advisory lock on the key,
taken without waiting (the loser returns ``IN_PROGRESS`` at once instead of queueing behind a hung
mail server), then the stamp is looked up.

Transport errors (``smtplib.SMTPException``, connection refused, timeout) are raised to the caller:
nothing is stamped, and the task base (``workers.base.TenantTask``) retries with backoff.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django_tenants.utils import get_public_schema_name, get_tenant_model

from .models import SentMail, Suppression

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


def sender() -> str:
    """« Name of the current CPTS <platform address> » (the platform's name in the public schema)."""
    community = current_community()
    name = community.name if community is not None else parseaddr(settings.DEFAULT_FROM_EMAIL)[0]
    return formataddr((name, platform_address()), charset="utf-8")


def is_suppressed(address: str) -> bool:
    return Suppression.objects.filter(address__iexact=address.strip()).exists()


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
        recipients = [address for address in recipients if address and not is_suppressed(address)]
        if not recipients:
            return Outcome.SUPPRESSED
        with translation.override(settings.LANGUAGE_CODE):
            subject = " ".join(str(subject).split())
            text = render_text(f"{template}.txt", context)
            # The HTML layout has its own footer: the text one is added after.
            html = _html_body(template, context, text)
            if context.get("unsubscribe_url"):
                text += render_text("mailing/email/unsubscribe_footer.txt", context)
        message_id = make_msgid(domain=platform_address().rpartition("@")[2] or settings.PLATFORM_DOMAIN)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=sender(),
            to=recipients,
            reply_to=list(reply_to),
            headers={"Message-ID": message_id, **(headers or {})},
        )
        message.attach_alternative(html, "text/html")
        for name, content, mimetype in attachments:
            message.attach(name, content, mimetype)
        # Read back by the delivery webhooks (apps.mailing.tracking): our id, whatever the provider's.
        message.metadata = {"schema": schema, "message_id": message_id}
        message.send()
        status = getattr(message, "anymail_status", None)
        SentMail.objects.create(
            schema=schema,
            key=key,
            kind=kind,
            recipients=recipients,
            subject=subject[:300],
            message_id=message_id,
            provider_message_id=(getattr(status, "message_id", None) or "")[:255],
        )
    return Outcome.SENT
