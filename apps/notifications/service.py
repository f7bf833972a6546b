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

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.mailing import mail

from .models import Notification, Preference
from .registry import Channel, Kind, UnknownKind, all_kinds, get_kind

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


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


def unsubscribe_token(user, kind: str) -> str:
    """A signed token naming this person, this CPTS and this kind; it never expires (a link in an
    old e-mail must still work) and grants nothing but « stop sending me this »."""
    return signing.dumps(
        {"s": connection.schema_name, "u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True
    )


def unsubscribe_url(user, kind: str) -> str:
    community = mail.current_community()
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user, kind)])
    return f"{community.primary_url().rstrip('/')}{path}"


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
            link = unsubscribe_url(user, kind)
            headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
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
    if channel not in Channel.values:
        raise ValidationError(_("Choix de réception inconnu."))
    preference, _created = Preference.objects.update_or_create(
        user=actor, kind=kind, defaults={"channel": channel}
    )
    return preference


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) named by a token made for the current CPTS, or None (forged, or made for
    another CPTS, or a kind nobody declares any more)."""
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
    return int(data["u"]), str(data["k"])


def unsubscribe(user_id: int, kind: str) -> None:
    """Stop sending ``kind`` from the current CPTS to this person (one click, no login: the signed
    token is the proof). Idempotent."""
    if get_kind(kind).transactional:
        return
    Preference.objects.update_or_create(user_id=user_id, kind=kind, defaults={"channel": Channel.NEVER})
