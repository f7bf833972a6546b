"""Reads of professional profiles and of the CPTS an account belongs to (public schema)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import Community

from .models import AccountCommunity, ProfessionalProfile

T = TypeVar("T")


def get_profile(user) -> ProfessionalProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return ProfessionalProfile.objects.filter(user_id=user.pk).first()


def list_account_communities(user) -> list[Community]:
    """Active CPTS where ``user`` has (had) a membership, by name. One public-schema query."""
    ids = AccountCommunity.objects.filter(user_id=user.pk).values("community_id")
    return list(Community.objects.filter(pk__in=ids, status=Community.Status.ACTIVE).order_by("name"))


def read_in_each_community(user, read: Callable[[Community], T]) -> Iterator[tuple[Community, T]]:
    """Call ``read(community)`` inside the schema of each of ``user``'s CPTS, one at a time.

    Only the CPTS listed by the public index for this very account are entered, and the
    connection's previous schema is restored after each read, whatever happens.
    """
    communities = list_account_communities(user)
    previous = connection.tenant
    try:
        for community in communities:
            with schema_context(community.schema_name):
                yield community, read(community)
    finally:
        connection.set_tenant(previous)
