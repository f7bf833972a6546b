"""The members app's answers to ``apps.accounts.hooks`` (registered in ``MembersConfig.ready``):
whether an account holds a role in the current CPTS, and why a CPTS's rule keeps its second factor.
Every function assumes the connection is set to the CPTS's schema (or the public one on the
platform host)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from apps.professionals.models import AccountCommunity
from tenants.models import Community

from .models import Membership, Role
from .selectors import get_membership, staff_two_factor_required


def holds_role(user) -> bool:
    """Whether ``user`` holds an active membership (any role) in the current CPTS."""
    return get_membership(user) is not None


def staff_second_factor_reason(request) -> str:
    """Why a CPTS's rule keeps the second factor of ``request.user`` ("" if none): staff of this
    CPTS when it requires it, else staff of another of the account's CPTS that requires it (the
    device is the account's, valid in every CPTS)."""
    membership = getattr(request, "membership", None)
    if membership is not None and membership.has_role(Role.TEAM) and staff_two_factor_required():
        return _("Cette CPTS exige la double authentification de son équipe et de ses administrateurs.")
    elsewhere = cpts_requiring_it_of(request.user)
    if elsewhere:
        return _(
            "%(names)s exige la double authentification de son équipe et de ses administrateurs, dont vous êtes."
        ) % {"names": ", ".join(elsewhere)}
    return ""


def cpts_requiring_it_of(user) -> list[str]:
    """Names of the CPTS where ``user`` is staff and the second factor is required of staff."""
    names = []
    communities = Community.objects.filter(
        status=Community.Status.ACTIVE,
        pk__in=AccountCommunity.objects.filter(user=user).values("community_id"),
    ).order_by("name")
    for community in communities:
        with schema_context(community.schema_name):
            membership = Membership.objects.filter(user=user, is_active=True).first()
            if membership is not None and membership.has_role(Role.TEAM) and staff_two_factor_required():
                names.append(community.name)
    return names
