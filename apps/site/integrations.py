"""What the home page borrows from the apps below the site (territory, dues, events).

The site sits at the top of the app DAG, so it imports their selectors directly (the import
linter sees these edges). A neighbour that fails must not take the home page down: each call
runs in its own savepoint, so a database error there is rolled back and logged, and the page is
served without that block (never with invented figures). Contracts (see docs/site.md):

- counters: ``apps.territory.selectors.get_home_counters()`` → ``communes``, ``inhabitants``,
  ``professionals`` (ints); a territory not described yet (all zeros) shows no counters;
- tiers: ``apps.dues.selectors.list_active_tiers()`` → items with ``name``, ``price`` and
  optionally ``description``; the join link is the URL named ``dues:join``;
- events: ``apps.events.selectors.list_upcoming_public_events(limit)``;
- access to care (menu, footer and home): the desk's public form while
  ``apps.access_care.services.is_enabled()`` (HDS hosting and the operator's switch), the roster's
  public page while ``apps.roster.selectors.slots_between`` finds a slot in the coming week.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.access_care.services import is_enabled as care_desk_is_on
from apps.dues.selectors import list_active_tiers
from apps.events.selectors import list_upcoming_public_events
from apps.roster.selectors import slots_between
from apps.territory.selectors import get_home_counters

logger = logging.getLogger(__name__)

COUNTER_LABELS = (
    ("communes", "Communes"),
    ("inhabitants", "Habitants"),
    ("professionals", "Professionnels de santé"),
)


def _call(hook: Callable, *args) -> Any:
    """``hook(*args)``, or None when it fails; its database work is rolled back to a savepoint so
    the request's transaction stays usable."""
    try:
        with transaction.atomic():
            result = hook(*args)
            # Querysets are lazy: evaluate inside the savepoint, where a failure can be caught.
            return list(result) if hasattr(result, "_fetch_all") else result
    except Exception:  # a neighbour's failure must not take the home page down
        logger.exception("home page block %s failed", getattr(hook, "__qualname__", hook))
        return None


def home_counters() -> list[dict]:
    """[{"key", "label", "value"}] of the territory's counters; [] while nothing is counted yet or
    when the territory cannot be read."""
    source = _call(get_home_counters)
    if source is None:
        return []
    counters = []
    for key, label in COUNTER_LABELS:
        value = getattr(source, key, None)
        if isinstance(value, int) and not isinstance(value, bool):
            counters.append({"key": key, "label": label, "value": value})
    return counters if any(counter["value"] for counter in counters) else []


def public_tiers() -> tuple[list, str]:
    """(tiers offered to join, join URL)."""
    return list(_call(list_active_tiers) or []), reverse("dues:join")


def upcoming_events(limit: int = 3) -> list:
    return list(_call(list_upcoming_public_events, limit) or [])[:limit]


def _roster_has_slots() -> bool:
    today = timezone.localdate()
    return slots_between(today, today + timedelta(days=6)).exists()


def care_links() -> list[dict]:
    """The access-to-care pages a patient may use on this CPTS, each {"title", "url", "text"}:
    only the modules that are on (a failure to read one leaves its link out)."""
    links = []
    if _call(care_desk_is_on):
        links.append(
            {
                "title": "Trouver un médecin traitant",
                "url": reverse("access_care:request_form"),
                "text": "Vous n'avez pas de médecin traitant ? Faites une demande : la CPTS cherche "
                "avec vous un médecin du territoire.",
            }
        )
    if _call(_roster_has_slots):
        links.append(
            {
                "title": "Soins non programmés",
                "url": reverse("roster:public"),
                "text": "Besoin d'un médecin aujourd'hui ou demain ? Les créneaux sans rendez-vous "
                "des professionnels de la CPTS.",
            }
        )
    return links
