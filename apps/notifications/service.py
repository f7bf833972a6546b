"""The one notification service: every feature that tells a person something calls ``notify``.

``notify(user=..., kind="events.reminder", key=..., subject=..., template=..., context=..., url=...)``

1. the kind must be declared (``registry.register_kind`` in the app's ``AppConfig.ready``);
2. the channel: a transactional kind is always sent at once; an optional one follows the person's
   preference in this CPTS (``Preference``), else the kind's default: at once, in the weekly digest,
   or never;
3. unless « never », a ``Notification`` row is stored once per ``key`` (the member space lists it;
   the weekly digest reads the « digest » ones, ``selectors.digest_pending``);
4. « at once »: the e-mail goes through the one mail path (``apps.mailing.mail.send``, idempotent
   under the same key); an optional kind's e-mail carries ``List-Unsubscribe`` with one-click POST
   (RFC 8058) and a footer link, both signed for this person, this CPTS and this kind.

Everything is in the current CPTS's schema: preferences, rows and tokens are per CPTS.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.mailing import mail
from apps.mailing.models import DigestOptOut

from .models import Notification, Preference, Unsubscription
from .registry import Channel, Kind, UnknownKind, all_kinds, get_kind, unsubscribe_listeners

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
DIGEST_UNSUBSCRIBE_SALT = "notifications.digest_unsubscribe"


class Delivery(enum.Enum):
    """What ``notify`` did. ``done``: nothing left to do for this notification."""

    SENT = "sent"
    ALREADY_SENT = "already-sent"
    IN_PROGRESS = "in-progress"
    SUPPRESSED = "suppressed"
    DIGEST = "digest"
    MUTED = "muted"

    @property
    def done(self) -> bool:
        return self is not Delivery.IN_PROGRESS


def channel_for(user, kind: Kind) -> str:
    """How ``user`` receives ``kind`` from the current CPTS."""
    if kind.transactional:
        return Channel.IMMEDIATE
    chosen = Preference.objects.filter(user=user, kind=kind.key).values_list("channel", flat=True).first()
    return chosen or kind.default


def unsubscribe_token(kind: str, *, address: str, user_id: int | None = None, source: str = "") -> str:
    """A signed token naming this address, this CPTS and this kind (and the account, when the
    recipient has one; ``source``: what carried it, ``"campaign:12"``). It never expires (a link in
    an old e-mail must still work), is honoured only on this CPTS's site, and grants nothing but
    « stop sending this to this address »."""
    data = {"s": connection.schema_name, "a": address.strip().lower(), "k": kind}
    if user_id is not None:
        data["u"] = user_id
    if source:
        data["m"] = source
    return signing.dumps(data, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(
    kind: str, *, address: str, user_id: int | None = None, source: str = "", site_url: str | None = None
) -> str:
    """The absolute one-click link on the current CPTS's site (footer and ``List-Unsubscribe``);
    ``site_url``: the CPTS's address when the caller has it (a bulk sender, once per batch)."""
    site_url = site_url if site_url is not None else mail.current_community().primary_url()
    token = unsubscribe_token(kind, address=address, user_id=user_id, source=source)
    path = reverse("notifications:unsubscribe", args=[token])
    return f"{site_url.rstrip('/')}{path}"


def notify(
    *,
    user,
    kind: str,
    key: str,
    subject: str,
    template: str,
    context: Mapping | None = None,
    url: str = "",
    title: str | None = None,
    attachments: Iterable[tuple[str, bytes, str]] = (),
) -> Delivery:
    """Tell ``user`` something of ``kind`` from the current CPTS (see the module docstring).

    ``key`` names this notification in this CPTS (``"events.reminder:42:…"``): told twice, stored
    and sent once. ``title`` (default: the subject) and ``url`` are what the member space lists.
    Raises ``UnknownKind`` for an undeclared kind; the mail server's errors as ``mail.send`` does.
    """
    declared = get_kind(kind)
    channel = channel_for(user, declared)
    if channel == Channel.NEVER:
        return Delivery.MUTED
    with transaction.atomic():
        notification, _created = Notification.objects.get_or_create(
            key=key,
            defaults={"user": user, "kind": kind, "title": str(title or subject)[:300], "url": url,
                      "channel": channel},
        )  # fmt: skip
        if channel == Channel.DIGEST:
            return Delivery.DIGEST
        headers: dict[str, str] = {}
        extra: dict[str, str] = {}
        if not declared.transactional:
            link = unsubscribe_url(kind, address=user.email, user_id=user.pk)
            headers = mail.unsubscribe_headers(link)
            extra = {"unsubscribe_url": link}
        outcome = mail.send(
            key=f"notification:{key}",
            to=user.email,
            subject=subject,
            template=template,
            context={**(context or {}), **extra},
            kind=kind,
            headers=headers,
            attachments=attachments,
        )
        if outcome is mail.Outcome.SENT:
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return Delivery(outcome.value)


def preferences_of(user) -> list[dict]:
    """Every declared kind with how ``user`` receives it here (for the member space)."""
    return [{"kind": kind, "channel": channel_for(user, kind)} for kind in all_kinds()]


def set_preference(*, actor, kind: str, channel: str) -> Preference:
    """``actor`` chooses how they receive ``kind`` from the current CPTS. A transactional kind
    cannot be changed (ValidationError, in French)."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Connectez-vous pour choisir vos notifications."))
    try:
        declared = get_kind(kind)
    except UnknownKind:
        raise ValidationError(_("Ce type de notification n'existe pas.")) from None
    if declared.transactional:
        raise ValidationError(_("« %(label)s » est toujours envoyé : il ne peut pas être désactivé.") % {
            "label": declared.label})  # fmt: skip
    if channel not in declared.channels:
        raise ValidationError(_("Choix de réception inconnu."))
    with transaction.atomic():
        preference, _created = Preference.objects.update_or_create(
            user=actor, kind=kind, defaults={"channel": channel}
        )
        if channel != Channel.NEVER:
            # Choosing to receive it again undoes an unsubscription from a link.
            Unsubscription.objects.filter(pk__in=_unsubscriptions([actor.email], kind).values("pk")).delete()
    return preference


@dataclass(frozen=True)
class UnsubscribeRequest:
    """What a valid token names, in the current CPTS."""

    address: str
    kind: str
    user_id: int | None
    source: str


def read_unsubscribe_token(token: str) -> UnsubscribeRequest | None:
    """What a token made for the current CPTS names, or None (forged, made for another CPTS, or a
    kind nobody declares any more)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != connection.schema_name:
        return None
    try:
        get_kind(str(data.get("k")))
    except UnknownKind:
        return None
    user_id = int(data["u"]) if data.get("u") is not None else None
    address = str(data.get("a") or "")
    if not address and user_id is not None:
        # Links mailed before tokens named the address: the account's address.
        address = get_user_model().objects.filter(pk=user_id).values_list("email", flat=True).first() or ""
    if not address:
        return None
    return UnsubscribeRequest(
        address=address, kind=str(data["k"]), user_id=user_id, source=str(data.get("m", ""))
    )


def unsubscribe(named: UnsubscribeRequest) -> None:
    """Stop sending ``named.kind`` from the current CPTS to ``named.address`` (one click, no login:
    the signed token is the proof), and to the account's preference when the token names one; the
    apps listening keep their consent records in step. Idempotent."""
    if get_kind(named.kind).transactional:
        return
    with transaction.atomic():
        if not _unsubscriptions([named.address], named.kind).exists():
            try:
                with transaction.atomic():
                    Unsubscription.objects.create(
                        email=named.address, kind=named.kind, source=named.source[:80]
                    )
            except IntegrityError:
                pass  # the same click twice at once: recorded by the other
        if named.user_id is not None:
            Preference.objects.update_or_create(
                user_id=named.user_id, kind=named.kind, defaults={"channel": Channel.NEVER}
            )
        for listener in unsubscribe_listeners():
            listener(named.address, named.kind)


def address_key(address: str) -> str:
    """How an address is compared with the unsubscriptions: trimmed, lower case (Python's rule;
    the rows are compared through ``Lower``: one rule for every check, single or bulk)."""
    return address.strip().lower()


def _unsubscriptions(addresses: Iterable[str], kind: str):
    """The ``Unsubscription`` rows of ``kind`` matching any of ``addresses`` (``address_key``),
    annotated with their ``key``."""
    keys = {address_key(address) for address in addresses}
    return Unsubscription.objects.annotate(key=Lower("email")).filter(kind=kind, key__in=keys)


def unsubscribed_among(
    recipients: Iterable[tuple[str, int | None]], kind: str
) -> set[tuple[str, int | None]]:
    """The (address, account id or None) pairs of ``recipients`` to which the current CPTS must not
    send ``kind``: the address unsubscribed (any case, surrounding spaces ignored), or the account
    chose « never ». Two queries whatever the number of recipients; ``is_unsubscribed`` is this
    rule for one recipient."""
    pairs = list(recipients)
    if not pairs:
        return set()
    gone = set(_unsubscriptions((address for address, _user in pairs), kind).values_list("key", flat=True))
    user_ids = {user_id for _address, user_id in pairs if user_id is not None}
    muted = (
        set(
            Preference.objects.filter(user_id__in=user_ids, kind=kind, channel=Channel.NEVER).values_list(
                "user_id", flat=True
            )
        )
        if user_ids
        else set()
    )
    return {
        (address, user_id) for address, user_id in pairs if address_key(address) in gone or user_id in muted
    }


def is_unsubscribed(address: str, kind: str, *, user_id: int | None = None) -> bool:
    """True when the current CPTS must not send ``kind`` to ``address``: the address unsubscribed,
    or its account chose « never » (``unsubscribed_among`` for one recipient)."""
    return bool(unsubscribed_among([(address, user_id)], kind))


def unsubscribed_count(kind: str, source: str) -> int:
    """How many addresses unsubscribed from ``kind`` through links carried by ``source``."""
    return Unsubscription.objects.filter(kind=kind, source=source).count()


def mark_digested(ids: Iterable[int], *, period: str, at) -> int:
    """Record that the weekly digest of ``period`` carried these notifications of the current CPTS."""
    return Notification.objects.filter(pk__in=list(ids)).update(digested_at=at, digest_period=period)


def digest_channels(user_ids: Iterable[int], kinds: Iterable[str]) -> dict[tuple[int, str], str]:
    """How each of ``user_ids`` receives each of ``kinds`` (declared) from the current CPTS, in one
    query: {(user id, kind): channel} (a transactional kind: always at once)."""
    declared = {key: get_kind(key) for key in kinds}
    ids = list(user_ids)
    chosen = {
        (user_id, kind): channel
        for user_id, kind, channel in Preference.objects.filter(
            user_id__in=ids, kind__in=list(declared)
        ).values_list("user_id", "kind", "channel")
    }
    return {
        (user_id, key): Channel.IMMEDIATE if kind.transactional else chosen.get((user_id, key), kind.default)
        for user_id in ids
        for key, kind in declared.items()
    }


def resubscribe(address: str, kind: str) -> None:
    """``address`` asked again to receive ``kind`` from the current CPTS (a renewed consent):
    its unsubscription is undone."""
    Unsubscription.objects.filter(pk__in=_unsubscriptions([address], kind).values("pk")).delete()


# The weekly digest is one e-mail per account gathering every CPTS of the account: its one-click
# link names the account (not a CPTS) and stops the whole digest (``DigestOptOut``, public schema).


def digest_unsubscribe_token(user_id: int) -> str:
    """A signed token naming the account ``user_id``; it never expires and grants nothing but
    « stop the weekly digest for this account »."""
    return signing.dumps({"u": int(user_id)}, salt=DIGEST_UNSUBSCRIBE_SALT)


def digest_unsubscribe_url(user_id: int) -> str:
    """The absolute one-click link on the platform's host (the digest comes from the platform,
    not from one CPTS): footer and ``List-Unsubscribe``."""
    port = f":{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else ""
    path = reverse("digest_unsubscribe", args=[digest_unsubscribe_token(user_id)],
                   urlconf=settings.PUBLIC_SCHEMA_URLCONF)  # fmt: skip
    return f"{settings.PLATFORM_SCHEME}://{settings.PLATFORM_DOMAIN}{port}{path}"


def read_digest_unsubscribe_token(token: str) -> int | None:
    """The active account a digest token names, or None (forged, altered, signed for anything
    else, or an account that no longer exists)."""
    try:
        data = signing.loads(token, salt=DIGEST_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return get_user_model().objects.filter(pk=data["u"], is_active=True).values_list("pk", flat=True).first()


def stop_digest(user_id: int) -> None:
    """The account ``user_id`` receives no weekly digest any more (every CPTS, every section).
    Idempotent: a second click, or two at once, leave one row."""
    DigestOptOut.objects.get_or_create(user_id=user_id)


def resume_digest(user) -> None:
    """``user`` receives the weekly digest again (their choice in « Mes notifications »)."""
    DigestOptOut.objects.filter(user=user).delete()


def receives_digest(user) -> bool:
    return not DigestOptOut.objects.filter(user=user).exists()


def digest_stopped_among(user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` stopped the weekly digest (one query)."""
    return set(DigestOptOut.objects.filter(user_id__in=list(user_ids)).values_list("user_id", flat=True))
