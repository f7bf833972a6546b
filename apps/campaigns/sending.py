"""The sending pipeline of campaigns: fair across CPTS, at most once per recipient, resumable.

- ``start`` freezes the audience: one ``Recipient`` row per address, written in batches.
- ``send_slice`` sends for a short while (``SLICE_SECONDS``) then returns, so a worker is never
  held by one CPTS: the task queues itself again at the back of the mail queue
  (workers/campaigns.py), behind other CPTS's slices. Transactional mail has its own queue and its
  own worker (``mail_priority``), so it never waits for a slice.
- A slice works by **batches** of ``BATCH`` pending rows: one query reads them, one reads which of
  their addresses unsubscribed (address or account « never »), one the suppression list; those are
  marked ``skipped`` in one update. Tokens are taken from the CPTS's and the platform's buckets for
  the rest of the batch at once (``ratelimit.take_up_to``); an empty CPTS bucket ends the slice
  with the time to wait. The messages go out on one SMTP connection (``mail.Outbox``), their
  ``SentMail`` rows written in one insert when the slice ends.
- Each message is **claimed** first, in its own committed statement, before any byte reaches the
  mail server: ``pending`` → ``sending`` only if still ``pending`` (two workers never both claim a
  row). The same statement settles the previous message of the slice (``sent`` with its
  Message-ID, ``failed``, or back to ``pending``): one round trip per message, and at any time a
  worker has at most one row in ``sending``. So a worker that dies leaves one row unconfirmed, which
  is never sent again (marked ``interrupted`` when the campaign ends), and everything after it still
  ``pending``: claiming the whole batch at once would strand the batch. A mail server that refuses
  the connection or drops it before accepting the message puts the row back to ``pending``: it was
  not accepted (RFC 5321: a message is accepted by the 250 reply to its data), and the slice is
  retried later.
- The campaign resumes where it stopped: only ``pending`` rows are ever claimed. When it ends, the
  ``SentMail`` rows a dead worker had not written yet are restored from its ``sent`` rows (a
  provider's bounce finds its CPTS through them).

Assumes the connection is set to the CPTS's schema.
"""

from __future__ import annotations

import logging
import re
import smtplib
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.audit.log import record
from apps.mailing import mail
from apps.mailing.models import SentMail
from apps.mailing.stencil import Rendered, Stencil
from apps.notifications import service as notifications
from apps.richtext import plain_text
from tenants.actors import SYSTEM

from . import ratelimit, segments
from .models import Campaign, Recipient, SenderSettings

logger = logging.getLogger(__name__)

# The notification kind of campaign mail: what a recipient unsubscribes from, per CPTS.
CAMPAIGN_KIND = "campaigns.campaign"

# A slice sends for at most this long, then gives its worker back (priority mail, other CPTS).
SLICE_SECONDS = 2.0
# Waiting this little for a token is cheaper than queueing the slice again.
SHORT_WAIT_SECONDS = 0.25
RECIPIENT_BATCH = 1000
# Pending rows read, filtered (unsubscribed, suppressed) and given tokens at once.
BATCH = 250
# A row in ``sending`` for longer than this lost its worker (a message takes milliseconds).
STALE_CLAIM = timedelta(minutes=2)
IN_FLIGHT_RECHECK_SECONDS = 30.0
# A campaign still sending whose last progress is older than this lost its worker: resumed.
STALE_HEARTBEAT = timedelta(minutes=2)


@dataclass(frozen=True)
class SliceResult:
    sent: int
    finished: bool
    # Seconds until the CPTS's bucket has a token again (the slice stopped for it), else None.
    wait: float | None = None


def start(campaign_id: int) -> bool:
    """Freeze the audience of a campaign due now and mark it sending. Returns True when this call
    started it (False: not due, already started or cancelled). Idempotent."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != Campaign.Status.SCHEDULED:
            return False
        if campaign.scheduled_at and campaign.scheduled_at > timezone.now():
            return False
        people = segments.select(segments.Audience.from_dict(campaign.audience))
        rows = [
            Recipient(campaign=campaign, email=p.email, name=p.name[:300], user_id=p.user_id) for p in people
        ]
        Recipient.objects.bulk_create(rows, batch_size=RECIPIENT_BATCH, ignore_conflicts=True)
        now = timezone.now()
        campaign.status = Campaign.Status.SENDING
        campaign.started_at = now
        campaign.heartbeat_at = now
        campaign.recipients_total = len(rows)
        campaign.save(update_fields=["status", "started_at", "heartbeat_at", "recipients_total"])
        record(campaign.scheduled_by or SYSTEM, "campaigns.sent", campaign, recipients=len(rows))
    return True


_CLAIM = """
UPDATE campaigns_recipient SET status = 'sending', claimed_at = %s
WHERE id = (
    SELECT id FROM campaigns_recipient
    WHERE campaign_id = %s AND status = 'pending'
    ORDER BY id LIMIT 1
    FOR UPDATE SKIP LOCKED
) AND status = 'pending'
RETURNING id, email, name, user_id
"""


def claim_next(campaign_id: int) -> Recipient | None:
    """Claim the next pending recipient (committed at once), or None when none is left."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLAIM, [timezone.now(), campaign_id])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, email, name, user_id = row
    return Recipient(pk=pk, campaign_id=campaign_id, email=email, name=name, user_id=user_id)


# One statement, one round trip per message: settle the previous message of the slice (only if
# this worker still holds it) and claim the next one (only if nobody took it). Both rows change
# together or not at all.
_STEP = """
WITH settled AS (
    UPDATE campaigns_recipient
    SET status = %(status)s, sent_at = %(sent_at)s, message_id = %(message_id)s, error = %(error)s,
        claimed_at = CASE WHEN %(status)s = 'pending' THEN NULL ELSE claimed_at END
    WHERE id = %(settle)s AND status = 'sending'
)
UPDATE campaigns_recipient SET status = 'sending', claimed_at = %(now)s
WHERE id = %(claim)s AND status = 'pending'
RETURNING id
"""


@dataclass
class _Settlement:
    """What became of the message a worker holds in ``sending``, written with its next claim."""

    recipient_id: int
    status: str
    message_id: str = ""
    error: str = ""
    sent_at: object = None


def _step(settle: _Settlement | None, claim: int | None) -> bool:
    """Settle ``settle`` and claim row ``claim`` (committed). True when ``claim`` is ours."""
    params = {
        "settle": settle.recipient_id if settle else None,
        "status": settle.status if settle else Recipient.Status.SENT,
        "sent_at": settle.sent_at if settle else None,
        "message_id": settle.message_id if settle else "",
        "error": settle.error if settle else "",
        "claim": claim,
        "now": timezone.now(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_STEP, params)
        return cursor.fetchone() is not None


def _next_batch(campaign_id: int, after: int) -> list[Recipient]:
    """The next ``BATCH`` pending rows (by id, past ``after``); not claimed."""
    rows = (
        Recipient.objects.filter(campaign_id=campaign_id, status=Recipient.Status.PENDING, pk__gt=after)
        .order_by("pk")
        .values_list("pk", "email", "name", "user_id")[:BATCH]
    )
    return [
        Recipient(pk=pk, campaign_id=campaign_id, email=email, name=name, user_id=user_id)
        for pk, email, name, user_id in rows
    ]


def unsubscribed_among(recipients: list[Recipient]) -> set[int]:
    """The rows of ``recipients`` that must not receive campaigns of this CPTS (the notification
    service's rule, ``notifications.unsubscribed_among``), in two queries for the whole batch."""
    gone = notifications.unsubscribed_among([(r.email, r.user_id) for r in recipients], CAMPAIGN_KIND)
    return {r.pk for r in recipients if (r.email, r.user_id) in gone}


def _set_aside(recipients: list[Recipient]) -> list[Recipient]:
    """Mark the batch's unsubscribed and suppressed rows ``skipped`` (one update per reason, only
    rows still pending); returns the others, in order."""
    unsubscribed = unsubscribed_among(recipients)
    suppressed = mail.suppressed_among(
        [r.email for r in recipients if r.pk not in unsubscribed], optional=True
    )
    blocked = {r.pk for r in recipients if r.pk not in unsubscribed and r.email.strip().lower() in suppressed}
    for reason, ids in (("unsubscribed", unsubscribed), ("suppressed", blocked)):
        if ids:
            Recipient.objects.filter(pk__in=ids, status=Recipient.Status.PENDING).update(
                status=Recipient.Status.SKIPPED, error=reason
            )
    return [r for r in recipients if r.pk not in unsubscribed and r.pk not in blocked]


def sender_of(campaign: Campaign, community) -> tuple[str, list[str]]:
    """(sender name, Reply-To list) of ``campaign``: its own, else the CPTS's defaults, else the
    CPTS's name; the address is the platform's (``apps.mailing.mail.sender``)."""
    defaults = SenderSettings.load()
    name = campaign.sender_name or defaults.sender_name or community.name
    reply_to = campaign.reply_to or defaults.reply_to
    return name, [reply_to] if reply_to else []


def message_id(campaign: Campaign, recipient: Recipient, schema: str) -> str:
    """Our own Message-ID: names the CPTS, campaign and recipient, so a provider's event about
    it (bounce, complaint) leads back to the row; the same for every attempt of that row."""
    return f"<campaign.{campaign.pk}.{recipient.pk}.{schema}@{mail.sending_domain()}>"


def source_of(campaign: Campaign) -> str:
    """What an unsubscription through this campaign's link records (its count on the page)."""
    return f"campaign:{campaign.pk}"


def mail_key(campaign: Campaign, recipient: Recipient) -> str:
    """The key of the message on the mail path (``SentMail``): unique in the CPTS."""
    return f"campaign:{campaign.pk}:{recipient.pk}"


_RELATIVE_URL = re.compile(r'\b(src|href)="/(?!/)')
# Stands for each recipient's own unsubscribe link in the bodies rendered once (and in the stencil).
_UNSUBSCRIBE_MARK = "https://unsubscribe.invalid/mark"
# The stencil's stand-in recipient (replaced for each recipient, never sent).
_STAND_IN_TO = "destinataire@stencil.invalid"
_STAND_IN_ID = "<stencil@stencil.invalid>"


class Composer:
    """Builds each recipient's message on the mail path (``apps.mailing.mail``); the bodies, the
    same for every recipient but for the unsubscribe link, are rendered once. ``render`` gives a
    message's bytes from the campaign's stencil (``apps.mailing.stencil``), made once: the same
    message as ``build`` for a fraction of its CPU, for a connection that sends bytes."""

    def __init__(self, campaign: Campaign, community) -> None:
        self.campaign = campaign
        self.community = community
        self.schema = community.schema_name
        self.sender_name, self.reply_to = sender_of(campaign, community)
        self.text_body = plain_text(campaign.body, limit=1_000_000)
        self.site_url = site_url = community.primary_url()
        # Links and images the editor wrote relative to the site must work from a mailbox.
        body = _RELATIVE_URL.sub(lambda m: f'{m.group(1)}="{site_url.rstrip("/")}/', campaign.body)
        context = {
            "campaign": campaign, "body": body, "community": community, "site_url": site_url,
            "unsubscribe_url": _UNSUBSCRIBE_MARK,
        }  # fmt: skip
        with translation.override(settings.LANGUAGE_CODE):
            self.html = render_to_string("campaigns/email/campaign.html", context)
            self.text = mail.render_text("campaigns/email/campaign.txt", {**context, "text": self.text_body})
        self._stencil: Stencil | None = None
        self._stencil_made = False

    def _link(self, recipient: Recipient, *, test: bool = False) -> str:
        return notifications.unsubscribe_url(
            CAMPAIGN_KIND, address=recipient.email, user_id=recipient.user_id,
            source="" if test else source_of(self.campaign), site_url=self.site_url,
        )  # fmt: skip

    def _message(self, *, to: str, msg_id: str, link: str, smtp=None) -> EmailMultiAlternatives:
        headers = {"Precedence": "bulk", "Auto-Submitted": "auto-generated", **mail.unsubscribe_headers(link)}
        return mail.build(
            to=[to],
            subject=self.campaign.subject,
            text=self.text.replace(_UNSUBSCRIBE_MARK, link),
            html=self.html.replace(_UNSUBSCRIBE_MARK, link),
            reply_to=self.reply_to,
            headers=headers,
            sender_name=self.sender_name,
            message_id=msg_id,
            connection=smtp,
        )

    def build(self, recipient: Recipient, smtp=None, *, test: bool = False) -> EmailMultiAlternatives:
        """The message to ``recipient``; ``test``: a one-off copy (its own Message-ID, no row)."""
        msg_id = mail.new_message_id() if test else message_id(self.campaign, recipient, self.schema)
        return self._message(
            to=_to(recipient), msg_id=msg_id, link=self._link(recipient, test=test), smtp=smtp
        )

    def render(self, recipient: Recipient) -> Rendered | None:
        """The bytes of ``build(recipient)``'s message (but for its MIME boundary), or None when
        this message must be built (a campaign or a recipient the stencil cannot reproduce)."""
        if not self._stencil_made:
            stand_in = self._message(to=_STAND_IN_TO, msg_id=_STAND_IN_ID, link=_UNSUBSCRIBE_MARK)
            self._stencil = Stencil.of(stand_in, mark=_UNSUBSCRIBE_MARK)
            self._stencil_made = True
        if self._stencil is None:
            return None
        return self._stencil.render(
            to=[_to(recipient)], message_id=message_id(self.campaign, recipient, self.schema),
            value=self._link(recipient),
        )  # fmt: skip


def _to(recipient: Recipient) -> str:
    return formataddr((recipient.name, recipient.email)) if recipient.name else recipient.email


def send_test(campaign: Campaign, community, email: str, name: str = "") -> None:
    """Send the campaign once to ``email`` (the team member's own address), subject marked [TEST].
    No recipient row, no bucket: it is one message asked by a person."""
    composer = Composer(campaign, community)
    message = composer.build(Recipient(pk=0, campaign=campaign, email=email, name=name), test=True)
    message.subject = f"[TEST] {campaign.subject}"
    mail.transmit(message, key=None, kind=CAMPAIGN_KIND)


def send_slice(campaign_id: int, community, *, seconds: float = SLICE_SECONDS) -> SliceResult:
    """Send the campaign's pending messages for at most ``seconds``; see the module docstring.

    Raises OSError / smtplib.SMTPException when the mail server cannot be reached (nothing was
    claimed then, or the claimed row was put back; what it accepted before is recorded): the
    caller retries later.
    """
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Campaign.Status.SENDING:
        return SliceResult(sent=0, finished=True)
    schema = community.schema_name
    composer = Composer(campaign, community)
    deadline = time.monotonic() + seconds
    sent = 0
    exhausted = False
    wait: float | None = None
    held: _Settlement | None = None  # the message this worker holds in ``sending``
    with mail.Outbox() as outbox, _commits_without_disk_wait():
        try:
            after = 0
            while wait is None and time.monotonic() < deadline:
                batch = _next_batch(campaign_id, after)
                if not batch:
                    exhausted = True
                    break
                after = batch[-1].pk
                sendable = _set_aside(batch)
                tokens = 0
                for position, recipient in enumerate(sendable):
                    if time.monotonic() >= deadline:
                        break
                    while not tokens:
                        tokens, wait = ratelimit.take_up_to(schema, len(sendable) - position)
                        if tokens:
                            wait = None
                        elif wait <= SHORT_WAIT_SECONDS and time.monotonic() + wait < deadline:
                            time.sleep(wait)
                        else:
                            break
                    if wait is not None:
                        break
                    claimed = _step(held, recipient.pk)
                    held = None
                    if not claimed:
                        continue  # another worker's (a resumed chain running at the same time)
                    tokens -= 1
                    try:
                        sent_id = _send(composer, outbox, recipient)
                    except smtplib.SMTPRecipientsRefused as error:
                        held = _Settlement(recipient.pk, Recipient.Status.FAILED, error=str(error)[:300])
                        continue
                    except (smtplib.SMTPException, OSError):
                        held = _Settlement(recipient.pk, Recipient.Status.PENDING)
                        raise
                    held = _Settlement(
                        recipient.pk, Recipient.Status.SENT, message_id=sent_id, sent_at=timezone.now()
                    )
                    sent += 1
        finally:
            if held is not None:
                _step(held, None)
    _heartbeat(campaign_id)
    if wait is not None:
        return SliceResult(sent=sent, finished=False, wait=wait)
    if finish_if_done(campaign_id):
        return SliceResult(sent=sent, finished=True)
    # Nothing pending but a message in flight elsewhere (or a dead worker's claim, interrupted once
    # STALE_CLAIM has passed): look again later rather than spin.
    return SliceResult(sent=sent, finished=False, wait=IN_FLIGHT_RECHECK_SECONDS if exhausted else None)


def _send(composer: Composer, outbox: mail.Outbox, recipient: Recipient) -> str:
    """Hand ``recipient``'s message to the outbox: its bytes from the campaign's stencil when the
    connection sends bytes (Django's SMTP backend), else the message built the usual way (a
    provider's API backend reads its attributes). Returns its Message-ID."""
    key = mail_key(composer.campaign, recipient)
    rendered = composer.render(recipient) if outbox.takes_bytes else None
    if rendered is not None:
        outbox.send_bytes(rendered, key=key, kind=CAMPAIGN_KIND)
        return rendered.message_id
    message = composer.build(recipient, outbox.connection)
    outbox.send(message, key=key, kind=CAMPAIGN_KIND)
    return message.extra_headers["Message-ID"]


@contextmanager
def _commits_without_disk_wait():
    """The connection's commits return without waiting for the disk (``synchronous_commit`` off)
    inside the block, set back after it.

    A per-message claim that waits for a disk flush costs a flush per message (6.6 ms against
    0.6 ms measured on the development machine): it would set the pace of every campaign. Without
    the wait, a commit is still atomic, visible to every other session at once and kept however
    the worker ends (a killed worker changes nothing to what PostgreSQL committed): at most once
    per recipient holds whatever happens to workers. Only a crash of the PostgreSQL server itself
    can lose the last commits before it (at most three ``wal_writer_delay``, 0.6 s by default):
    the messages claimed in that fraction of a second may be sent a second time. The first commit
    after the block (the slice's ``SentMail`` rows) waits for the disk, and with it everything
    before it."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _heartbeat(campaign_id: int) -> None:
    Campaign.objects.filter(pk=campaign_id).update(heartbeat_at=timezone.now())


def finish_if_done(campaign_id: int) -> bool:
    """Mark the campaign sent when no recipient is left to send; rows a dead worker left in
    ``sending`` become ``interrupted`` (never sent again). Returns True when it is over."""
    pending = Recipient.objects.filter(campaign_id=campaign_id, status=Recipient.Status.PENDING)
    if pending.exists():
        return False
    Recipient.objects.filter(
        campaign_id=campaign_id,
        status=Recipient.Status.SENDING,
        claimed_at__lt=timezone.now() - STALE_CLAIM,
    ).update(status=Recipient.Status.INTERRUPTED)
    if Recipient.objects.filter(campaign_id=campaign_id, status=Recipient.Status.SENDING).exists():
        return False  # another worker is in the middle of a message; it will finish the campaign
    if Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).update(
        status=Campaign.Status.SENT, finished_at=timezone.now()
    ):
        _restore_stamps(campaign_id)
    return True


def _restore_stamps(campaign_id: int) -> None:
    """Write the ``SentMail`` rows of ``sent`` recipients that have none: a worker that died
    mid-slice had settled its messages but not yet written their rows (``mail.Outbox``)."""
    campaign = Campaign.objects.get(pk=campaign_id)
    schema = connection.schema_name
    sent = {
        mail_key(campaign, recipient): recipient
        for recipient in Recipient.objects.filter(campaign_id=campaign_id, status=Recipient.Status.SENT).only(
            "pk", "email", "message_id", "sent_at"
        )
    }  # fmt: skip
    missing = set(sent) - mail.recorded_keys(schema, sent)
    if missing:
        logger.warning(
            "campaign %s: %s sent messages had no SentMail row; restored", campaign_id, len(missing)
        )
        mail.record(
            SentMail(
                schema=schema, key=key, kind=CAMPAIGN_KIND, recipients=[sent[key].email],
                subject=campaign.subject[:300], message_id=sent[key].message_id,
            )
            for key in missing
        )  # fmt: skip


def due_campaigns() -> list[int]:
    """Scheduled campaigns whose time has come."""
    return list(
        Campaign.objects.filter(status=Campaign.Status.SCHEDULED, scheduled_at__lte=timezone.now())
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)
    )


def stalled_campaigns() -> list[int]:
    """Campaigns still sending that made no progress for a while: their worker was lost."""
    return list(
        Campaign.objects.filter(
            status=Campaign.Status.SENDING, heartbeat_at__lt=timezone.now() - STALE_HEARTBEAT
        ).values_list("pk", flat=True)
    )
