"""The address of the visitor, as rate limits and login throttling see it.

Behind N trusted reverse proxies (``TRUSTED_PROXY_COUNT``), ``REMOTE_ADDR`` is the nearest proxy
and the visitor is the N-th address from the right of ``X-Forwarded-For``: every proxy appends
the address it received the request from, so entries further left are whatever the client sent and
cannot be trusted. Without a proxy (the default), only ``REMOTE_ADDR`` counts.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The visitor's IP address, or '' when the request carries none."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies and _is_ip(forwarded[-proxies]):
            return forwarded[-proxies]
    address = request.META.get("REMOTE_ADDR", "")
    return address if _is_ip(address) else ""


def client_ip_for_axes(request) -> str | None:
    """django-axes stores the address in an IP field: None rather than ''."""
    return client_ip(request) or None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
