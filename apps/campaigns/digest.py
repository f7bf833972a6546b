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
   SMTP exchange.

Memory stays flat whatever the number of members: nothing is held per account outside Redis, and
accounts are delivered in batches. A person only ever sees items from a CPTS whose schema listed
them as an active member.
"""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.events.models import Event
from apps.mailing import mail
from apps.mailing.models import DigestDelivery
from apps.members.models import Membership
from apps.members.standing import Standing, standings_of
from apps.notifications import selectors as notification_selectors
from apps.notifications import service as notification_service
from apps.notifications.models import Notification
from apps.notifications.registry import Channel, UnknownKind, get_kind
from apps.site.models import NewsItem
from apps.working_groups.models import GroupDocument, GroupMember

from . import ratelimit

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


def compose(user, communities: list[dict], smtp=None) -> EmailMultiAlternatives:
    """One account's digest on the mail path (the platform as sender): a section per CPTS
    (sorted by name), then per kind; ``List-Unsubscribe`` one-click (RFC 8058) and the footer
    link stop the whole digest for this account."""
    for community in communities:
        community["section_list"] = [
            {"title": SECTION_TITLES[kind], "items": items}
            for kind, items in community["sections"].items()
            if kind in SECTION_TITLES
        ]
    unsubscribe_url = notification_service.digest_unsubscribe_url(user.pk)
    context = {
        "user": user,
        "communities": communities,
        "platform_domain": settings.PLATFORM_DOMAIN,
        "unsubscribe_url": unsubscribe_url,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Votre lettre de la semaine : %(names)s") % {
            "names": ", ".join(c["name"] for c in communities)
        }
        text = mail.render_text("campaigns/email/digest.txt", context)
        html = render_to_string("campaigns/email/digest.html", context)
    return mail.build(
        to=[user.email],
        subject=subject[:200],
        text=text,
        html=html,
        headers={
            "Precedence": "bulk",
            "Auto-Submitted": "auto-generated",
            **mail.unsubscribe_headers(unsubscribe_url),
        },
        connection=smtp,
    )


def deliver(period: str, user_ids: list[int], *, seconds: float = SLICE_SECONDS) -> tuple[int, list[int]]:
    """Send the digest of each account of ``user_ids`` that has one for ``period`` and was not
    sent it yet, on the mail path (suppression list respected). Each account is claimed first by a
    ``DigestDelivery`` row (unique per account and week, committed before the SMTP exchange): at
    most one digest a week, whatever runs again. A mail server that cannot be reached releases the
    claim and raises (the batch is retried). Like a campaign's slice, it gives its worker back after
    about ``seconds`` (at least one account is served): returns (mails sent, the ids left, to queue
    again behind what waits, priority mail first)."""
    check_period(period)
    redis = ratelimit.client()
    # An account that stopped the digest since its collection gets none either.
    stopped = notification_service.digest_stopped_among(user_ids)
    users = {
        u.pk: u
        for u in get_user_model().objects.filter(pk__in=user_ids, is_active=True)
        if u.pk not in stopped
    }
    sent = 0
    deadline = time.monotonic() + seconds
    smtp = get_connection()
    smtp.open()
    try:
        for position, user_id in enumerate(user_ids):
            if position and time.monotonic() >= deadline:
                return sent, list(user_ids[position:])
            user = users.get(user_id)
            if user is None or not user.email:
                continue
            stored = redis.hgetall(_key(period, "u", user_id))
            if not stored:
                continue
            communities = sorted((json.loads(raw) for raw in stored.values()), key=lambda c: c["name"])
            try:
                with transaction.atomic():
                    claim = DigestDelivery.objects.create(user_id=user_id, period=period)
            except IntegrityError:
                continue  # this week's digest was claimed already
            while (wait := ratelimit.take(DIGEST_BUCKET)) > 0:
                time.sleep(min(wait, 1.0))
            message = compose(user, communities, smtp)
            try:
                outcome = mail.transmit(message, key=f"digest:{period}:{user_id}", kind="digest")
            except smtplib.SMTPRecipientsRefused:
                continue  # the address is refused: retrying would not change that
            except OSError:
                claim.delete()
                raise
            if outcome is mail.Outcome.SENT:
                DigestDelivery.objects.filter(pk=claim.pk).update(sent_at=timezone.now())
                sent += 1
    finally:
        smtp.close()
    return sent, []


def since_for(now: datetime) -> datetime:
    return now - timedelta(days=PERIOD_DAYS)
