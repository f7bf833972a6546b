"""The kinds of notification, declared once.

Each app registers its kinds in its ``AppConfig.ready`` (``register_kind(...)``); the notification
service refuses a kind nobody declared. A kind is either **transactional** (always sent at once,
whatever the person chose: receipts, a seat to pay, security) or **optional** (the person chooses,
per CPTS: at once, in the weekly digest, or never).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IMMEDIATE = "immediate", _("tout de suite, par e-mail")
    DIGEST = "digest", _("dans le récapitulatif de la semaine")
    NEVER = "never", _("jamais")


ALL_CHANNELS = (Channel.IMMEDIATE, Channel.DIGEST, Channel.NEVER)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    transactional: bool
    default: str = Channel.IMMEDIATE
    description: str = ""
    # What a person may choose for it (a campaign has no digest form; a digest section no mail).
    channels: tuple[str, ...] = ALL_CHANNELS

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(value, label) for value, label in Channel.choices if value in self.channels]


class UnknownKind(LookupError):
    """No app declared this kind of notification."""


_kinds: dict[str, Kind] = {}


def register_kind(
    key: str,
    label,
    *,
    transactional: bool,
    default: str = Channel.IMMEDIATE,
    description="",
    channels: tuple[str, ...] = ALL_CHANNELS,
) -> Kind:
    """Declare kind ``key`` (``"<app>.<what>"``). Registering the same declaration twice is a no-op;
    two different declarations of one key are an error. ``channels``: what a person may choose
    (the default among them)."""
    kind = Kind(key=key, label=label, transactional=transactional, default=default, description=description,
                channels=tuple(channels))  # fmt: skip
    if default not in kind.channels:
        raise ValueError(f"kind {key!r}: its default {default!r} is not among its channels")
    existing = _kinds.get(key)
    if existing is not None and existing != kind:
        raise ValueError(f"notification kind {key!r} is already declared differently")
    if transactional and default != Channel.IMMEDIATE:
        raise ValueError(f"transactional kind {key!r} is always sent at once")
    _kinds[key] = kind
    return kind


def get_kind(key: str) -> Kind:
    try:
        return _kinds[key]
    except KeyError:
        raise UnknownKind(f"no notification kind {key!r} is declared") from None


def all_kinds() -> list[Kind]:
    """Every declared kind, optional ones first, in declaration order."""
    return sorted(_kinds.values(), key=lambda kind: kind.transactional)


_unsubscribe_listeners: list[Callable[[str, str], None]] = []


def register_unsubscribe_listener(listener: Callable[[str, str], None]) -> None:
    """``listener(address, kind)`` is called (in the current CPTS, inside the unsubscribe's
    transaction) when an address unsubscribes from a kind: an app above keeps its own consent
    records in step (a directory opt-in is withdrawn)."""
    if listener not in _unsubscribe_listeners:
        _unsubscribe_listeners.append(listener)


def unsubscribe_listeners() -> list[Callable[[str, str], None]]:
    return list(_unsubscribe_listeners)
