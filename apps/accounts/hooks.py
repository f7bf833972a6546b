"""What accounts asks about an account inside one CPTS, answered by the apps above it.

Accounts is the bottom of the apps: the global identity (login, session bound to one host, second
factor, « Mes CPTS » hand-off), shared by every CPTS. What an account *is* in a given CPTS (a role,
a rule its team set) belongs to the members app, which registers its answers here at start-up
(``MembersConfig.ready``). Accounts never imports the apps that answer.

Both questions fail closed: with no role check registered nobody holds a role anywhere (no
hand-off opens a session), and a second factor is never waived by a missing rule (rules only add
reasons to keep it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

# (request) -> why this account must keep its second factor on this host, "" if no reason.
SecondFactorRule = Callable[[HttpRequest], str]
# (user) -> whether the account holds an active role in the CPTS the connection is set to.
RoleCheck = Callable[[Any], bool]

_second_factor_rules: list[SecondFactorRule] = []
_role_checks: list[RoleCheck] = []


def register_second_factor_rule(rule: SecondFactorRule) -> None:
    """Add a reason source to ``second_factor_reason`` (registering twice is a no-op)."""
    if rule not in _second_factor_rules:
        _second_factor_rules.append(rule)


def second_factor_reason(request: HttpRequest) -> str:
    """The first reason a registered rule gives to require a second factor of ``request.user``
    on this host, in registration order; "" when none does."""
    for rule in _second_factor_rules:
        reason = rule(request)
        if reason:
            return reason
    return ""


def register_role_check(check: RoleCheck) -> None:
    """Set how ``holds_role_here`` tells whether an account belongs to the current CPTS."""
    if check not in _role_checks:
        _role_checks.append(check)


def holds_role_here(user) -> bool:
    """Whether ``user`` holds an active role in the CPTS the connection is set to. False when no
    check is registered (fails closed)."""
    return bool(_role_checks) and any(check(user) for check in _role_checks)


# (request, signed in) -> the URL to land on after signing in without ``next``, "" for no opinion.
Landing = Callable[[HttpRequest], str]
_landings: list[Landing] = []


def register_landing(landing: Landing) -> None:
    """Add a source to ``landing_url`` (registering twice is a no-op)."""
    if landing not in _landings:
        _landings.append(landing)


def landing_url(request: HttpRequest) -> str:
    """Where ``request.user``, just signed in on this host, lands when no ``next`` was asked: the
    first registered landing with an answer, else "" (then settings.LOGIN_REDIRECT_URL)."""
    for landing in _landings:
        url = landing(request)
        if url:
            return url
    return ""
