"""Login throttling (django-axes): how a login attempt is identified."""

from __future__ import annotations


def attempted_email(request, credentials) -> str:
    """The e-mail typed, normalised as the login is (case-insensitive): ``Alice@x.fr`` and
    ``alice@x.fr`` share one failure count."""
    source = credentials if credentials else getattr(request, "POST", {})
    return (source.get("username") or "").strip().lower()
