"""The bottom layer's door to the audit log (``apps.audit``, registered at start-up).

``tenants`` imports no app, yet the operator's actions (opening a CPTS, changing its status or its
domains) belong in the platform's log: ``apps.audit`` registers its ``record`` here in
``AppConfig.ready`` and provisioning calls ``record``. Nothing registered: the call fails, so an
operator action is never silently left out of the log.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

_recorder: Callable | None = None


def register_audit_recorder(recorder: Callable) -> None:
    """``recorder(actor, action, target, **details)`` writes one line in the current schema's log."""
    global _recorder
    _recorder = recorder


def record(actor, action: str, target=None, **details) -> None:
    if _recorder is None:
        raise ImproperlyConfigured("No audit recorder registered (apps.audit missing from INSTALLED_APPS).")
    _recorder(actor, action, target, **details)
