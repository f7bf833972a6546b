"""Moving, signed in, from one of my CPTS to another (« Mes CPTS »).

Sessions stay bound to the CPTS they were opened on (CommunitySessionMiddleware). To go from A to
B without typing the password again, A issues a hand-off: a signed token naming the account, the
target CPTS's schema and a random id, valid ``HANDOFF_MAX_AGE`` seconds. B opens a session of its
own only if the signature holds, the token is not expired, it was made for B, its id was never
used before (first use wins, recorded in the cache with an atomic add), and the account is active
and holds a role in B *now*. Anything else opens nothing. The account's second factor, if any, is
asked on B as for any new session.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django_tenants.utils import schema_context

from tenants.models import Community

from .hooks import holds_role_here

SALT = "accounts.handoff"


def holds_role_in(user, community: Community) -> bool:
    """Whether ``user`` holds an active role in ``community`` (read in its schema; the role check
    is registered by the members app, see ``apps.accounts.hooks``)."""
    with schema_context(community.schema_name):
        return holds_role_here(user)


def make_handoff(user, target: Community) -> str:
    """A single-use token opening a session for ``user`` on ``target`` (see module docstring)."""
    return signing.dumps({"u": user.pk, "s": target.schema_name, "j": secrets.token_urlsafe(16)}, salt=SALT)


def redeem_handoff(token: str, *, community: Community):
    """The account the token opens a session for on ``community``, or None (forged, expired,
    made for another CPTS, already used, inactive account, or no role here). Uses the token up."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.HANDOFF_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != community.schema_name or not data.get("j"):
        return None
    # First use wins: add() writes only if the key is absent (one atomic SET NX in Redis).
    if not cache.add(f"accounts:handoff:{data['j']}", 1, settings.HANDOFF_MAX_AGE + 60):
        return None
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or not holds_role_here(user):
        return None
    return user
