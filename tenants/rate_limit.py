"""A fixed-window counter per visitor address, for the public forms of a CPTS's site.

The counter lives in the Django cache, whose keys carry the schema (django-tenants' key
function), so each CPTS counts its own visitors. ``bucket`` separates the forms: a contact
message does not use up the quota of another form.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache


class RateLimited(Exception):
    """The visitor went past the limit of this bucket in the current window."""


def hit(bucket: str, client_ip: str, *, limit: int, window: int) -> int:
    """Count one submission of ``client_ip`` in ``bucket``; raise RateLimited past ``limit`` per
    ``window`` seconds. Returns the count so far in the window."""
    key = f"{bucket}:rate:" + hashlib.sha256((client_ip or "unknown").encode()).hexdigest()[:24]
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    if count > limit:
        raise RateLimited
    return count
