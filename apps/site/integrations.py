"""What the home page borrows from other apps, when they are installed.

Each function returns an empty value when the providing app is not installed or does not expose
the hook yet, so the home page never breaks and never shows invented figures. Contracts (see
docs/site.md):

- counters: ``apps.territory.selectors.get_home_counters()`` → a mapping (or object) with
  ``communes``, ``inhabitants``, ``professionals`` (ints; a missing or None value is not shown);
- tiers: ``list_public_tiers()`` (else ``list_active_tiers()``) in the selectors of the dues app →
  items with ``name``, ``price`` (or ``price_display``) and optionally ``description``; the join link
  is ``get_join_url()`` if the app has it, else the URL named ``dues:join``;
- events: ``list_upcoming_public_events(limit)`` in the selectors of the events app → items with
  ``title``, ``starts_at`` and optionally ``get_absolute_url()``/``location``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

logger = logging.getLogger(__name__)

COUNTERS_APPS = ("apps.territory",)
TIERS_APPS = ("apps.dues", "apps.membership", "apps.memberships", "apps.subscriptions", "apps.members")
EVENTS_APPS = ("apps.events", "apps.projects", "apps.health_projects")

COUNTER_LABELS = (
    ("communes", "Communes"),
    ("inhabitants", "Habitants"),
    ("professionals", "Professionnels de santé"),
)


def _hook(app_names: tuple[str, ...], function: str) -> Callable | None:
    for app_name in app_names:
        if not apps.is_installed(app_name):
            continue
        try:
            module = importlib.import_module(f"{app_name}.selectors")
        except ImportError:
            continue
        hook = getattr(module, function, None)
        if callable(hook):
            return hook
    return None


def _value(source: Any, name: str) -> Any:
    if isinstance(source, dict):
        return source.get(name)
    return getattr(source, name, None)


def _call(hook: Callable, *args) -> Any:
    try:
        return hook(*args)
    except Exception:  # a neighbour's failure must not take the home page down
        logger.exception("home page hook %s failed", getattr(hook, "__qualname__", hook))
        return None


def home_counters() -> list[dict]:
    """[{"key", "label", "value"}] for the counters the territory app provides; [] otherwise
    (app absent, hook missing or failing, or nothing counted yet)."""
    hook = _hook(COUNTERS_APPS, "get_home_counters")
    source = _call(hook) if hook else None
    if source is None:
        return []
    counters = []
    for key, label in COUNTER_LABELS:
        value = _value(source, key)
        if isinstance(value, int) and not isinstance(value, bool):
            counters.append({"key": key, "label": label, "value": value})
    # A territory not described yet (all zeros) shows no counters rather than a row of zeros.
    return counters if any(counter["value"] for counter in counters) else []


def public_tiers() -> tuple[list, str]:
    """(tiers, join URL) from the dues app; ([], "") while it does not exist."""
    hook = _hook(TIERS_APPS, "list_public_tiers") or _hook(TIERS_APPS, "list_active_tiers")
    tiers = list(_call(hook) or []) if hook else []
    join_hook = _hook(TIERS_APPS, "get_join_url")
    join_url = (_call(join_hook) or "") if join_hook else _reverse_or_empty("dues:join")
    return tiers, str(join_url)


def _reverse_or_empty(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def upcoming_events(limit: int = 3) -> list:
    hook = _hook(EVENTS_APPS, "list_upcoming_public_events")
    return list(_call(hook, limit) or [])[:limit] if hook else []
