"""« Mon espace » (``members:member_space``) is one page composed of sections owned by several
apps: the membership and profile (here), dues, receipts and memberships everywhere (dues), paid
registrations (events). The apps above members register a section in their ``AppConfig.ready``;
a section is a function of the request returning the template context it fills
(``members/member_space.html``). Members imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

Section = Callable[[HttpRequest], dict[str, Any]]

_sections: list[Section] = []


def register_member_space_section(section: Section) -> None:
    """Add ``section`` to the member space (registering twice is a no-op)."""
    if section not in _sections:
        _sections.append(section)


def sections_context(request: HttpRequest) -> dict[str, Any]:
    """The context every registered section gives for ``request``, merged in registration order."""
    context: dict[str, Any] = {}
    for section in _sections:
        context.update(section(request))
    return context


# Where a person lands right after accepting an invitation: the first provider giving a URL wins
# (the first steps of a new CPTS for its administrator), else « Mon espace ».
Landing = Callable[[HttpRequest, Any], str | None]
_landings: list[Landing] = []


def register_landing(provider: Landing) -> None:
    """Add ``provider`` ((request, membership) → URL or None) to the landings (registering twice is
    a no-op)."""
    if provider not in _landings:
        _landings.append(provider)


def landing_url(request: HttpRequest, membership) -> str | None:
    """The URL the first registered provider gives for ``membership`` (just accepted), or None."""
    for provider in _landings:
        if url := provider(request, membership):
            return url
    return None
