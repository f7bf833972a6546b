"""Access declarations: every view served says who may reach it, and the declaration is the check.

A view declares its access once, in one of these forms (read by ``declared_access``):

- function views: a decorator that both enforces and declares: ``@public``, ``@authenticated``
  (here), ``@role_required(role)`` (``apps.members.permissions``);
- Django class-based views: ``access = PUBLIC`` (only public pages are class-based);
- API views: subclasses of the base views of ``apps.members.permissions`` with an ``access``
  attribute, enforced by DRF's default permission (``HasCommunityRole``).

The kinds:

- ``public``: anyone, signed in or not. Object-level rules (a members-only event, one's own
  receipt) stay the view's job.
- ``authenticated``: any signed-in account, whatever its role here (account security pages).
- ``operator``: a platform operator (console, operator API).
- ``role``: a role held in this CPTS (member ⊂ team ⊂ admin, ``apps.members.models.Role``);
  ``member`` means a member à jour unless ``candidates`` (``apps.members.standing``). An API view
  may ask a higher role for writes (``write_role``) and name the role of its extra actions.

This module sits in the bottom layer (imported by every app and by ``tenants`` itself); the role
check itself lives with the roles, in ``apps.members.permissions``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.contrib.auth.decorators import login_required

PUBLIC_KIND = "public"
AUTHENTICATED_KIND = "authenticated"
OPERATOR_KIND = "operator"
ROLE_KIND = "role"
KINDS = (PUBLIC_KIND, AUTHENTICATED_KIND, OPERATOR_KIND, ROLE_KIND)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Access:
    """Who may reach a view. Build role access with ``Access.role(...)``."""

    kind: str
    read_role: str | None = None
    write_role: str | None = None
    candidates: bool = False
    action_roles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown access kind {self.kind!r}")
        if (self.kind == ROLE_KIND) != (self.read_role is not None):
            raise ValueError("a role access names its role, other kinds none")

    @classmethod
    def role(
        cls,
        role: str,
        *,
        write: str | None = None,
        candidates: bool = False,
        actions: Mapping[str, str] | None = None,
    ) -> Access:
        """``role`` for every method (``write`` for POST/PUT/PATCH/DELETE when given; ``actions``
        maps an API view's action name to its own role). ``candidates`` lets candidates and lapsed
        members through a member-level check."""
        return cls(
            kind=ROLE_KIND,
            read_role=role,
            write_role=write or role,
            candidates=candidates,
            action_roles=MappingProxyType(dict(actions or {})),
        )

    @property
    def is_public(self) -> bool:
        return self.kind == PUBLIC_KIND

    def role_for(self, method: str, action: str | None = None) -> str | None:
        """The role asked of a request (None for the kinds that ask no role)."""
        if self.kind != ROLE_KIND:
            return None
        if action in self.action_roles:
            return self.action_roles[action]
        return self.read_role if method.upper() in SAFE_METHODS else self.write_role

    def __str__(self) -> str:
        if self.kind != ROLE_KIND:
            return self.kind
        text = self.read_role if self.read_role == self.write_role else f"{self.read_role}/{self.write_role}"
        return f"role:{text}{' (candidates)' if self.candidates else ''}"


PUBLIC = Access(PUBLIC_KIND)
AUTHENTICATED = Access(AUTHENTICATED_KIND)
OPERATOR = Access(OPERATOR_KIND)

# Set on function views by the decorators that enforce access, read by ``declared_access``.
ACCESS_ATTR = "access"


def public(view: Callable) -> Callable:
    """Declare a function view open to anyone (nothing to enforce at the door)."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def authenticated(view: Callable) -> Callable:
    """Sign-in required (redirect to the login page), any role or none: enforced and declared."""
    wrapper = login_required(view)
    setattr(wrapper, ACCESS_ATTR, AUTHENTICATED)
    return wrapper


def declared_access(callback: Callable) -> Access | None:
    """The access declared by the view behind a URL pattern's ``callback``: the attribute set by
    a decorator, or the ``access`` of its class (Django ``view_class``, DRF ``cls``)."""
    access = getattr(callback, ACCESS_ATTR, None)
    if isinstance(access, Access):
        return access
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    access = getattr(view_class, ACCESS_ATTR, None)
    return access if isinstance(access, Access) else None
