"""The address of the visitor, as rate limits and login throttling see it.

Behind N trusted reverse proxies (``TRUSTED_PROXY_COUNT``), ``REMOTE_ADDR`` is the nearest proxy
and the visitor is the N-th address from the right of ``X-Forwarded-For``: every proxy appends
the address it received the request from, so entries further left are whatever the client sent and
cannot be trusted. With ``TRUSTED_PROXY_NETWORKS`` set, the header is read only for requests that
come from those networks (a client reaching gunicorn directly cannot pick its address). Without a
proxy (the default), only ``REMOTE_ADDR`` counts.

An IPv6 visitor counts as their /64 network: one line gets a whole /64, so counting single
addresses would let one visitor try 2^64 times.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The visitor's IP address (an IPv6 /64's first address), or '' when the request has none."""
    address = _parse(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0 and address is not None and _from_trusted_proxy(address):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        visitor = _parse(forwarded[-proxies]) if len(forwarded) >= proxies else None
        if visitor is not None:
            address = visitor
    if address is None:
        return ""
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def client_ip_for_axes(request) -> str | None:
    """django-axes stores the address in an IP field: None rather than ''."""
    return client_ip(request) or None


def _from_trusted_proxy(address) -> bool:
    networks = settings.TRUSTED_PROXY_NETWORKS
    return not networks or any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def _parse(value: str):
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None
