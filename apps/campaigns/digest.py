"""The weekly digest across CPTS: one e-mail per account gathering what is new in every CPTS it
belongs to, grouped by CPTS; nothing is sent to an account with nothing new.

A fan-in in three steps, each a task (workers/campaigns.py):

1. ``begin(period)`` (beat, weekly) records how many CPTS must answer, once per period;
2. ``collect(period, since)`` runs in each CPTS's schema and reads only that schema (news
   published, upcoming events announced, documents added to the person's working groups since
   ``since``, and the notifications kept for the digest), for its active members only, keeping
   only the kinds each person chose to receive in the digest from this CPTS (their preferences;
   « never » or « at once »: not in the digest). It writes nothing in another schema: what it
   found goes to Redis, one hash per account (field = the CPTS's schema), and the notifications it
   carried are marked in its own. The last CPTS to answer starts step 3;
3. ``deliver(period, user_ids)`` sends each account's digest on the mail path, once: a
   ``DigestDelivery`` row per account and week (public schema, unique) is committed before the
   SMTP exchange. It works like a campaign's slice: per batch of accounts, a few queries (accounts,
   opt-outs, claims of the week, suppression list) and one Redis round trip (the payloads), tokens
   for the batch at once; per account one claim statement (``_step``), a message assembled from
   bodies rendered once (``Composer``) and handed over on one SMTP connection (``mail.Outbox``,
   ``SentMail`` rows in one insert).

Memory stays flat whatever the number of members: nothing is held per account outside Redis, and
accounts are delivered in batches. A person only ever sees items from a CPTS whose schema listed
them as an active member.
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from apps.events.models import Event
from apps.mailing import mail
from apps.mailing.models import DigestDelivery, SentMail
from apps.members.models import Membership
from apps.members.standing import Standing, standings_of
from apps.notifications import selectors as notification_selectors
from apps.notifications import service as notification_service
from apps.notifications.models import Notification
from apps.notifications.registry import Channel, UnknownKind, get_kind
from apps.site.models import NewsItem
from apps.working_groups.models import GroupDocument, GroupMember

from . import claims, ratelimit

logger = logging.getLogger(__name__)

PERIOD_DAYS = 7
# Redis keeps a run's collected items and claims this long (a period plus margin).
KEEP_SECONDS = 9 * 24 * 3600
DELIVERY_BATCH = 200
MAX_ITEMS_PER_SECTION = 10
# The digest's own bucket next to the platform's (ratelimit.take takes from both).
DIGEST_BUCKET = "_digest"
# A batch gives its worker back after this long (priority mail, other CPTS's campaigns).
SLICE_SECONDS = 2.0


class Kind:
    """The kinds of item a digest gathers, declared to the notification service
    (``CampaignsConfig.ready``): a person chooses, per CPTS and per kind, the digest or never."""

    NEWS = "digest.news"
    EVENTS = "digest.events"
    DOCUMENTS = "digest.documents"


# The section of the notifications a person chose to receive « in the digest ».
NOTIFICATIONS = "notifications"

SECTION_TITLES = {
    Kind.NEWS: "Actualités",
    Kind.EVENTS: "Événements à venir",
    Kind.DOCUMENTS: "Nouveaux documents de vos groupes",
    NOTIFICATIONS: "Vos notifications",
}


# A period's name is stored with each weekly claim and each notification it carried: no longer
# than the narrower of those columns.
PERIOD_MAX_LENGTH = min(
    DigestDelivery._meta.get_field("period").max_length,
    Notification._meta.get_field("digest_period").max_length,
)


def check_period(period: str) -> str:
    """``period`` when it can name a digest run, else ValueError (empty, or longer than
    ``PERIOD_MAX_LENGTH``): refused before anything of the run is recorded."""
    if not period or len(period) > PERIOD_MAX_LENGTH:
        raise ValueError(
            f"digest period {period!r} is empty or longer than {PERIOD_MAX_LENGTH} characters, "
            f"the width of the columns that store it (an ISO week such as 2026-W49 is 8)"
        )
    return period


def period_of(moment: datetime) -> str:
    year, week, _weekday = timezone.localtime(moment).isocalendar()
    return f"{year}-W{week:02d}"


def _key(period: str, *parts: object) -> str:
    return ":".join(["digest", period, *(str(part) for part in parts)])


def begin(period: str, schema_count: int) -> bool:
    """Record that ``schema_count`` CPTS must answer for ``period``. False when the period was
    already begun (a second beat run does nothing). ValueError for a name that cannot be
    stored (``check_period``)."""
    check_period(period)
    return bool(ratelimit.client().set(_key(period, "left"), schema_count, nx=True, ex=KEEP_SECONDS))


@dataclass(frozen=True)
class Item:
    title: str
    url: str
    detail: str = ""


def _absolute(base: str, path: str) -> str:
    return base.rstrip("/") + path


def answered(period: str) -> bool:
    """Count the current CPTS as answered for ``period`` (whether its collection worked or not:
    one CPTS's failure must not hold every other's digest). True when it was the last one."""
    return ratelimit.client().decr(_key(period, "left")) == 0


def collect(period: str, since: datetime) -> None:
    """Gather, in the current CPTS's schema, what each active member has not seen since
    ``since`` and chose to receive in the digest (per kind: ``Kind`` sections, and the
    notifications kept for the digest); store it in Redis for ``period``. The only write in the
    schema marks the notifications carried (``digest_period``): collecting the same week again
    finds the same ones."""
    check_period(period)
    community = connection.tenant
    base = community.primary_url()
    now = timezone.now()
    news = [
        Item(n.title, _absolute(base, n.get_absolute_url()), n.summary)
        for n in NewsItem.objects.filter(
            status=NewsItem.Status.PUBLISHED, publish_at__gte=since, publish_at__lte=now
        ).order_by("-publish_at")[:MAX_ITEMS_PER_SECTION]
    ]
    events = list(
        Event.objects.filter(
            status=Event.Status.PUBLISHED, created_at__gte=since, starts_at__gt=now
        ).order_by("starts_at")[:MAX_ITEMS_PER_SECTION]
    )
    documents: dict[int, list[Item]] = {}
    new_documents = list(
        GroupDocument.objects.filter(uploaded_at__gte=since).select_related("group").order_by("-uploaded_at")
    )
    if new_documents:
        by_group: dict[int, list[Item]] = {}
        for document in new_documents:
            by_group.setdefault(document.group_id, []).append(
                Item(
                    document.title,
                    _absolute(base, f"/groupes-de-travail/{document.group_id}/"),
                    document.group.name,
                )
            )
        for user_id, group_id in GroupMember.objects.filter(group_id__in=list(by_group)).values_list(
            "user_id", "group_id"
        ):
            documents.setdefault(user_id, []).extend(by_group[group_id])
    pending = notification_selectors.digest_pending(period=period).filter(created_at__lte=now)
    if not (news or events or documents or pending.exists()):
        return

    redis = ratelimit.client()
    pipe = redis.pipeline(transaction=False)
    memberships = Membership.objects.filter(is_active=True).only(
        "pk", "user_id", "role", "dues_exempt", "is_active"
    )
    for chunk in _chunks(memberships.iterator(chunk_size=2000), 2000):
        # Accounts that stopped the digest (public table, read only): nothing gathered for them,
        # so their notifications stay unmarked and listed in « Mes notifications ».
        stopped = notification_service.digest_stopped_among(m.user_id for m in chunk)
        chunk = [membership for membership in chunk if membership.user_id not in stopped]
        if not chunk:
            continue
        user_ids = [membership.user_id for membership in chunk]
        standings = (
            standings_of(chunk) if any(e.visibility == Event.Visibility.MEMBERS for e in events) else {}
        )
        notifications: dict[int, list] = {}
        for row in pending.filter(user_id__in=user_ids).only("pk", "user_id", "kind", "title", "url"):
            notifications.setdefault(row.user_id, []).append(row)
        kinds = {Kind.NEWS, Kind.EVENTS, Kind.DOCUMENTS} | {
            row.kind for rows in notifications.values() for row in rows if _declared(row.kind)
        }
        channels = notification_service.digest_channels(user_ids, kinds)
        carried: list[int] = []
        for membership in chunk:
            user_id = membership.user_id

            def wants(kind: str, user_id: int = user_id, channels: dict = channels) -> bool:
                return channels.get((user_id, kind)) == Channel.DIGEST

            member_events = [
                Item(
                    e.title,
                    _absolute(base, f"/evenements/{e.pk}/"),
                    timezone.localtime(e.starts_at).strftime("%d/%m/%Y %H:%M"),
                )
                for e in events
                if e.visibility == Event.Visibility.PUBLIC or standings.get(membership.pk) == Standing.GOOD
            ]
            kept = [row for row in notifications.get(user_id, []) if _declared(row.kind) and wants(row.kind)]
            sections = {
                Kind.NEWS: news if wants(Kind.NEWS) else [],
                Kind.EVENTS: member_events if wants(Kind.EVENTS) else [],
                Kind.DOCUMENTS: documents.get(user_id, [])[:MAX_ITEMS_PER_SECTION]
                if wants(Kind.DOCUMENTS)
                else [],
                NOTIFICATIONS: [
                    Item(
                        row.title,
                        _absolute(base, row.url) if row.url.startswith("/") else row.url,
                        str(get_kind(row.kind).label),
                    )
                    for row in kept
                ],  # fmt: skip
            }
            sections = {kind: items for kind, items in sections.items() if items}
            if not sections:
                continue
            carried += [row.pk for row in kept]
            payload = {
                "name": community.name,
                "designation": community.designation,
                "url": base,
                "sections": {kind: [item.__dict__ for item in items] for kind, items in sections.items()},
            }
            pipe.hset(_key(period, "u", user_id), community.schema_name, json.dumps(payload))
            pipe.expire(_key(period, "u", user_id), KEEP_SECONDS)
            pipe.sadd(_key(period, "users"), user_id)
        pipe.expire(_key(period, "users"), KEEP_SECONDS)
        pipe.execute()
        if carried:
            notification_service.mark_digested(carried, period=period, at=now)


def _declared(kind: str) -> bool:
    try:
        get_kind(kind)
    except UnknownKind:
        return False
    return True


def _chunks(iterable: Iterable, size: int):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def batches(period: str, size: int = DELIVERY_BATCH):
    """The accounts with something to read for ``period``, in batches of ids."""
    redis = ratelimit.client()
    batch: list[int] = []
    for raw in redis.sscan_iter(_key(period, "users"), count=1000):
        batch.append(int(raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def message_id(period: str, user_id: int) -> str:
    """The Message-ID of an account's digest: the same for every attempt (there is one digest per
    account and period), so its ``SentMail`` row can be written again from the claim alone."""
    return f"<digest.{period}.{user_id}@{mail.sending_domain()}>"


def mail_key(period: str, user_id: int) -> str:
    """The key of an account's digest on the mail path (``SentMail``, public schema)."""
    return f"digest:{period}:{user_id}"


# A slot of a body rendered once (``_Frame``): private-use characters that HTML escaping keeps.
_SLOT = re.compile("\ue000([a-z_]+)\ue001")


def _slot(name: str) -> str:
    return f"\ue000{name}\ue001"


class _Frame:
    """A template rendered once with a mark in each slot that differs per message, split at the
    marks: ``fill`` joins the pieces with one message's values (already escaped by the caller for
    HTML) without a template engine per message. A mark within a value is never read again."""

    def __init__(self, rendered: str) -> None:
        self.pieces = _SLOT.split(rendered)

    def fill(self, values: dict[str, str]) -> str:
        # The split alternates text and slot names: text at even places.
        return "".join(values[piece] if index % 2 else piece for index, piece in enumerate(self.pieces))


@dataclass(frozen=True)
class _Block:
    """One CPTS's part of a digest, rendered once for every account it was collected for alike."""

    name: str
    html: str
    text: str


@dataclass(frozen=True)
class _Account:
    pk: int
    email: str
    first_name: str


class Composer:
    """Builds the digests of a batch: the frame (greeting, footer) is rendered once, each CPTS's
    part once per distinct content (most members of a CPTS read the same news and events), then
    each message is assembled from them; HTML and text parts, a section per CPTS sorted by name,
    ``List-Unsubscribe`` one-click (RFC 8058) and the footer link that stop the whole digest of the
    account."""

    def __init__(self, period: str) -> None:
        self.period = period
        # HTML escaping keeps the marks as they are: the frame needs no unescaped variable.
        context = {name: _slot(name) for name in ("greeting", "communities", "unsubscribe_url")}
        with translation.override(settings.LANGUAGE_CODE):
            self.html = _Frame(render_to_string("campaigns/email/digest.html", context))
            self.text = _Frame(mail.render_text("campaigns/email/digest.txt", context))
        self._blocks: dict[bytes, _Block] = {}

    def block(self, raw: bytes) -> _Block:
        """The part of one CPTS from its collected payload (the Redis field's value)."""
        block = self._blocks.get(raw)
        if block is None:
            community = json.loads(raw)
            community["section_list"] = [
                {"title": SECTION_TITLES[kind], "items": items}
                for kind, items in community["sections"].items()
                if kind in SECTION_TITLES
            ]
            context = {"community": community}
            with translation.override(settings.LANGUAGE_CODE):
                html = render_to_string("campaigns/email/digest_community.html", context)
                text = mail.render_text("campaigns/email/digest_community.txt", context)
            block = self._blocks[raw] = _Block(community["name"], html, text)
        return block

    def build(self, account: _Account, stored: Iterable[bytes], smtp=None) -> EmailMultiAlternatives:
        """The digest of ``account`` from its collected payloads (one per CPTS)."""
        blocks = sorted((self.block(raw) for raw in stored), key=lambda block: block.name)
        link = notification_service.digest_unsubscribe_url(account.pk)
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Votre lettre de la semaine : %(names)s") % {
                "names": ", ".join(block.name for block in blocks)
            }
        greeting = f" {account.first_name}" if account.first_name else ""
        html = self.html.fill({"greeting": escape(greeting), "unsubscribe_url": escape(link),
                               "communities": "".join(block.html for block in blocks)})  # fmt: skip
        text = self.text.fill({"greeting": greeting, "unsubscribe_url": link,
                               "communities": "".join(block.text for block in blocks)})  # fmt: skip
        return mail.build(
            to=[account.email],
            subject=subject[:200],
            text=text,
            html=html,
            headers={
                "Precedence": "bulk",
                "Auto-Submitted": "auto-generated",
                **mail.unsubscribe_headers(link),
            },
            message_id=message_id(self.period, account.pk),
            connection=smtp,
        )


_TABLE = DigestDelivery._meta.db_table

# One statement, one round trip per account: settle the previous account of the slice (its
# digest accepted: ``sent_at``; not accepted: its claim released) and claim the next one (a new
# row, unique per account and period: nothing when any run claimed it before).
_STEP = f"""
WITH settled AS (
    UPDATE {_TABLE} SET sent_at = %(sent_at)s WHERE id = %(sent)s AND sent_at IS NULL
), released AS (
    DELETE FROM {_TABLE} WHERE id = %(released)s AND sent_at IS NULL
)
INSERT INTO {_TABLE} (user_id, period, claimed_at)
SELECT %(claim)s, %(period)s, %(now)s WHERE %(claim)s::bigint IS NOT NULL
ON CONFLICT (user_id, period) DO NOTHING
RETURNING id
"""  # noqa: S608 - the table name is the model's own


@dataclass
class _Held:
    """The claim (row id) a slice holds for the message it just handed over, and its fate."""

    claim_id: int
    accepted: bool


def _step(period: str, held: _Held | None, claim: int | None) -> int | None:
    """Settle ``held`` and claim account ``claim`` (committed): the new claim's id, None when the
    account's digest of ``period`` was claimed already."""
    params = {
        "sent": held.claim_id if held and held.accepted else None,
        "sent_at": timezone.now(),
        "released": held.claim_id if held and not held.accepted else None,
        "claim": claim,
        "period": period,
        "now": timezone.now(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_STEP, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _readable(period: str, user_ids: list[int]) -> dict[int, tuple[_Account, list[bytes]]]:
    """The accounts of ``user_ids`` to write to, with their collected payloads, in a few queries and
    one Redis round trip: active, with an address, the digest not stopped, not claimed for
    ``period`` yet, not suppressed, something collected. The stamps a dead worker had not written
    for the digests it settled are written again on the way (``_restore_stamps``)."""
    stopped = notification_service.digest_stopped_among(user_ids)
    accounts = {
        pk: _Account(pk, email, first_name)
        for pk, email, first_name in get_user_model()
        .objects.filter(pk__in=[pk for pk in user_ids if pk not in stopped], is_active=True)
        .exclude(email="")
        .values_list("pk", "email", "first_name")
    }
    claimed = dict(
        DigestDelivery.objects.filter(period=period, user_id__in=list(accounts)).values_list(
            "user_id", "sent_at"
        )
    )
    _restore_stamps(period, [accounts[pk] for pk, sent_at in claimed.items() if sent_at is not None])
    blocked = mail.suppressed_among(
        [a.email for pk, a in accounts.items() if pk not in claimed], optional=True
    )
    wanted = [a for pk, a in accounts.items() if pk not in claimed and a.email.strip().lower() not in blocked]
    pipe = ratelimit.client().pipeline(transaction=False)
    for account in wanted:
        pipe.hgetall(_key(period, "u", account.pk))
    return {
        account.pk: (account, list(stored.values()))
        for account, stored in zip(wanted, pipe.execute(), strict=True)
        if stored
    }


def _restore_stamps(period: str, accounts: list[_Account]) -> None:
    """Write the ``SentMail`` rows of digests settled as sent that have none: a worker that died
    mid-slice had not written them yet (``mail.Outbox``); a provider's bounce finds its message
    through them."""
    if not accounts:
        return
    keys = {mail_key(period, account.pk): account for account in accounts}
    missing = set(keys) - mail.recorded_keys(mail.current_schema(), keys)
    if missing:
        logger.warning("digest %s: %s sent digests had no SentMail row; restored", period, len(missing))
        mail.record(
            SentMail(
                schema=mail.current_schema(), key=key, kind="digest", recipients=[keys[key].email],
                subject=_("Votre lettre de la semaine")[:300], message_id=message_id(period, keys[key].pk),
            )
            for key in missing
        )  # fmt: skip


def deliver(period: str, user_ids: list[int], *, seconds: float = SLICE_SECONDS) -> tuple[int, list[int]]:
    """Send the digest of each account of ``user_ids`` that has one for ``period`` and was not
    sent it yet, on the mail path (suppression list respected), by batches (``_readable``).

    Each account is claimed first by a ``DigestDelivery`` row (unique per account and period),
    committed before any byte of its digest reaches the mail server, in one statement that also
    settles the previous account of the slice (``_step``): at most one digest per account and
    period, whatever runs again (a second beat, a retried batch, a worker killed mid-send: its
    claim stays, the digest in flight is never sent again). The claims commit without waiting for
    the disk (``claims.commits_without_disk_wait``). A refused address keeps its claim; a mail
    server that cannot be reached, or drops the connection before accepting the message, releases
    its claim and raises (the batch is retried; what was accepted before is recorded). Like a
    campaign's slice, it gives its worker back after about ``seconds`` (at least one account is
    served): returns (mails sent, the ids left, to queue again behind what waits)."""
    check_period(period)
    deadline = time.monotonic() + seconds
    composer = Composer(period)
    sent = served = 0
    held: _Held | None = None  # the claim of the message just handed over, settled with the next
    with mail.Outbox() as outbox, claims.commits_without_disk_wait():
        try:
            for start in range(0, len(user_ids), DELIVERY_BATCH):
                if served and time.monotonic() >= deadline:
                    return sent, list(user_ids[start:])
                batch = user_ids[start : start + DELIVERY_BATCH]
                readable = _readable(period, batch)
                order = [(start + position, pk) for position, pk in enumerate(batch) if pk in readable]
                tokens = 0
                for rank, (index, user_id) in enumerate(order):
                    if served and time.monotonic() >= deadline:
                        return sent, list(user_ids[index:])
                    while not tokens:
                        tokens, wait = ratelimit.take_up_to(DIGEST_BUCKET, len(order) - rank)
                        if not tokens:
                            if served and time.monotonic() + wait >= deadline:
                                return sent, list(user_ids[index:])
                            time.sleep(min(wait, 1.0))
                    account, stored = readable[user_id]
                    claim_id = _step(period, held, user_id)
                    held = None
                    served += 1
                    if claim_id is None:
                        continue  # claimed by another run meanwhile
                    tokens -= 1
                    message = composer.build(account, stored, outbox.connection)
                    try:
                        outbox.send(message, key=mail_key(period, user_id), kind="digest")
                    except smtplib.SMTPRecipientsRefused:
                        continue  # the address is refused: retrying would not change that
                    except OSError:  # smtplib.SMTPException too
                        held = _Held(claim_id, accepted=False)
                        raise
                    held = _Held(claim_id, accepted=True)
                    sent += 1
        finally:
            if held is not None:
                _step(period, held, None)
    return sent, []


def since_for(now: datetime) -> datetime:
    return now - timedelta(days=PERIOD_DAYS)
