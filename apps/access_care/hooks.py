"""Who is told when the desk's settings change (the operator's switch, the team's settings).

The public site shows « Trouver un médecin traitant » while the desk is on, in a chrome it caches
per CPTS; the site sits above this app, so it registers its invalidation here at start-up
(``SiteConfig.ready``) instead of this app importing it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction
from django_tenants.utils import schema_context

# () -> None, called in the schema of the CPTS whose settings changed, after the commit.
SettingsListener = Callable[[], None]

_settings_listeners: list[SettingsListener] = []


def register_settings_listener(listener: SettingsListener) -> None:
    """``listener()`` runs after each committed change of a CPTS's desk settings, with the
    connection set to that CPTS (registering twice is a no-op)."""
    if listener not in _settings_listeners:
        _settings_listeners.append(listener)


def settings_changed() -> None:
    """Tell the listeners once the current transaction commits (at once outside one): before the
    commit, a page rendered meanwhile would cache the old switch under the new version."""
    schema = connection.schema_name

    def notify() -> None:
        with schema_context(schema):
            for listener in list(_settings_listeners):
                listener()

    transaction.on_commit(notify)
