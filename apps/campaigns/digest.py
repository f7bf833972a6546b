"""The weekly digest across CPTS: one e-mail per account gathering what is new in every CPTS it
belongs to, grouped by CPTS; nothing is sent to an account with nothing new.

A fan-in in three steps, each a task (workers/campaigns.py):

1. ``begin(period)`` (beat, weekly) records how many CPTS must answer, once per period;
2. ``collect(period, since)`` runs in each CPTS's schema and reads only that schema (news
   published, upcoming events announced, documents added to the person's working groups since
   ``since``), for its active members only. It writes nothing in any schema: what it found goes to
   Redis, one hash per account (field = the CPTS's schema). The last CPTS to answer starts step 3;
3. ``deliver(period, user_ids)`` sends each account's digest, once (a Redis claim per account and
   period, taken before the SMTP exchange).

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
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.events.models import Event
from apps.members.models import Membership
from apps.members.standing import Standing, standings_of
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


class Kind:
    """The kinds of item a digest gathers (the preference a person sets per CPTS and kind)."""

    NEWS = "news"
    EVENTS = "events"
    DOCUMENTS = "documents"


SECTION_TITLES = {
    Kind.NEWS: "Actualités",
    Kind.EVENTS: "Événements à venir",
    Kind.DOCUMENTS: "Nouveaux documents de vos groupes",
}


def period_of(moment: datetime) -> str:
    year, week, _weekday = timezone.localtime(moment).isocalendar()
    return f"{year}-W{week:02d}"


def _key(period: str, *parts: object) -> str:
    return ":".join(["digest", period, *(str(part) for part in parts)])


def begin(period: str, schema_count: int) -> bool:
    """Record that ``schema_count`` CPTS must answer for ``period``. False when the period was
    already begun (a second beat run does nothing)."""
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
    ``since``; store it in Redis for ``period``."""
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

    redis = ratelimit.client()
    pipe = redis.pipeline(transaction=False)
    if news or events or documents:
        memberships = Membership.objects.filter(is_active=True).only(
            "pk", "user_id", "role", "dues_exempt", "is_active"
        )
        for chunk in _chunks(memberships.iterator(chunk_size=2000), 2000):
            standings = (
                standings_of(chunk) if any(e.visibility == Event.Visibility.MEMBERS for e in events) else {}
            )
            for membership in chunk:
                member_events = [
                    Item(
                        e.title,
                        _absolute(base, f"/evenements/{e.pk}/"),
                        timezone.localtime(e.starts_at).strftime("%d/%m/%Y %H:%M"),
                    )
                    for e in events
                    if e.visibility == Event.Visibility.PUBLIC
                    or standings.get(membership.pk) == Standing.GOOD
                ]
                sections = {
                    Kind.NEWS: news,
                    Kind.EVENTS: member_events,
                    Kind.DOCUMENTS: documents.get(membership.user_id, [])[:MAX_ITEMS_PER_SECTION],
                }
                sections = {kind: items for kind, items in sections.items() if items}
                if not sections:
                    continue
                payload = {
                    "name": community.name,
                    "url": base,
                    "sections": {kind: [item.__dict__ for item in items] for kind, items in sections.items()},
                }
                pipe.hset(_key(period, "u", membership.user_id), community.schema_name, json.dumps(payload))
                pipe.expire(_key(period, "u", membership.user_id), KEEP_SECONDS)
                pipe.sadd(_key(period, "users"), membership.user_id)
            pipe.expire(_key(period, "users"), KEEP_SECONDS)
            pipe.execute()


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


def compose(user, communities: list[dict]) -> EmailMultiAlternatives:
    """One account's digest: a section per CPTS (sorted by name), then per kind."""
    for community in communities:
        community["section_list"] = [
            {"title": SECTION_TITLES[kind], "items": items}
            for kind, items in community["sections"].items()
            if kind in SECTION_TITLES
        ]
    context = {"user": user, "communities": communities, "platform_domain": settings.PLATFORM_DOMAIN}
    subject = _("Votre lettre de la semaine : %(names)s") % {
        "names": ", ".join(c["name"] for c in communities)
    }
    message = EmailMultiAlternatives(
        subject=subject[:200],
        body=render_to_string("campaigns/email/digest.txt", context),
        to=[user.email],
        headers={"Precedence": "bulk", "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("campaigns/email/digest.html", context), "text/html")
    return message


def deliver(period: str, user_ids: list[int]) -> int:
    """Send the digest of each account of ``user_ids`` that has one for ``period`` and was not
    sent it yet. Claims each account in Redis before sending (at most once); a mail server that
    cannot be reached releases the claim and raises (the batch is retried). Returns mails sent."""
    redis = ratelimit.client()
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids, is_active=True)}
    sent = 0
    smtp = get_connection()
    smtp.open()
    try:
        for user_id in user_ids:
            user = users.get(user_id)
            if user is None or not user.email:
                continue
            stored = redis.hgetall(_key(period, "u", user_id))
            if not stored:
                continue
            communities = sorted((json.loads(raw) for raw in stored.values()), key=lambda c: c["name"])
            claim = _key(period, "sent", user_id)
            if not redis.set(claim, timezone.now().isoformat(), nx=True, ex=KEEP_SECONDS):
                continue
            while (wait := ratelimit.take(DIGEST_BUCKET)) > 0:
                time.sleep(min(wait, 1.0))
            message = compose(user, communities)
            message.connection = smtp
            try:
                smtp.send_messages([message])
            except smtplib.SMTPRecipientsRefused:
                continue  # the address is refused: retrying would not change that
            except OSError:
                redis.delete(claim)
                raise
            sent += 1
    finally:
        smtp.close()
    return sent


def since_for(now: datetime) -> datetime:
    return now - timedelta(days=PERIOD_DAYS)
