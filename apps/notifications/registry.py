"""The kinds of notification, declared once.

Each app registers its kinds in its ``AppConfig.ready`` (``register_kind(...)``); the notification
service refuses a kind nobody declared. A kind is either **transactional** (always sent at once,
whatever the person chose: receipts, a seat to pay, security) or **optional** (the person chooses,
per CPTS: at once, in the weekly digest, or never).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IMMEDIATE = "immediate", _("tout de suite, par e-mail")
    DIGEST = "digest", _("dans le récapitulatif de la semaine")
    NEVER = "never", _("jamais")


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    transactional: bool
    default: str = Channel.IMMEDIATE
    description: str = ""


class UnknownKind(LookupError):
    """No app declared this kind of notification."""


_kinds: dict[str, Kind] = {}


def register_kind(
    key: str, label, *, transactional: bool, default: str = Channel.IMMEDIATE, description=""
) -> Kind:
    """Declare kind ``key`` (``"<app>.<what>"``). Registering the same declaration twice is a no-op;
    two different declarations of one key are an error."""
    kind = Kind(key=key, label=label, transactional=transactional, default=default, description=description)
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
