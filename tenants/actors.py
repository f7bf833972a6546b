"""Who performs a write: a person (an account), or the platform itself.

Write services take a keyword-only ``actor`` and check it with
``apps.members.permissions.require_role``. Setup code that acts for no person — provisioning a
CPTS, demo seeding, the national directory import, scheduled jobs — passes ``SYSTEM``, which holds
every role. ``None`` is never read as the platform: a missing actor is refused like a stranger.
"""

from __future__ import annotations


class SystemActor:
    """The platform acting on its own. Not an account: no ``pk``, not authenticated, so it can
    never be a request's user nor be stored in an account column (see ``person``)."""

    pk = None
    is_authenticated = False
    is_anonymous = False

    def __repr__(self) -> str:
        return "SYSTEM"

    def __str__(self) -> str:
        return "plateforme"

    def __reduce__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def person(actor):
    """The account behind ``actor``, for an ``…_by`` column: None when the platform acted."""
    return None if actor is SYSTEM else actor
