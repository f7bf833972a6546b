"""« Membre à jour »: the one definition of who may use this CPTS's members-only content.

A membership is **à jour** (``Standing.GOOD``) when, in this CPTS:

- it holds a team or admin role (the people who run the CPTS never need dues to see it), or
- the team granted it without dues (``Membership.dues_exempt``: an accepted invitation, an
  honorary member), or
- it has dues marked active (``Dues.Status.ACTIVE``) for the current civil year, the next one (a
  join after the CPTS's switch date buys the next year) or the previous one. Dues become active
  when a card payment succeeds, when the team records an offline payment (cheque, transfer,
  cash), or at once on a free tier. Last year's active dues keep the member à jour from
  1 January until the daily renewal run lapses them (``apps.dues.renewals.lapse_past_years``), at
  the end of the CPTS's grace period (``DuesSettings.grace_days``, 0 by default): that is the
  grace period.

Anyone else holding a membership is either a **candidate** (joined, never paid: no dues ever
active) or **lapsed** (paid an earlier year, not the current one). Both keep their member space
(to pay, see receipts, edit their profile) and get a 403 with the reason and the pay link on
every members-only page, API route and file. Accounts without a membership here are outsiders
(404, see ``apps.members.permissions``).

What dues have to say is asked of the one registered ``StandingProvider`` (the dues app registers
it in ``DuesConfig.ready``: members, the base of every access check, imports no app above it).
Without one, a member neither staff nor exempt is a candidate: the check fails closed.

Every members-only check goes through ``standing_of`` (pages and files: ``role_required``;
API: ``HasCommunityRole``; lists: ``is_in_good_standing``). Assumes the connection is set to the
CPTS's schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.db.models import TextChoices
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Membership, Role


class Standing(TextChoices):
    GOOD = "good", gettext_lazy("À jour")
    CANDIDATE = "candidate", gettext_lazy("Adhésion en attente de paiement")
    LAPSED = "lapsed", gettext_lazy("Cotisation échue")


# Cached on the Membership instance: one query per request whatever the number of checks.
_CACHE_ATTR = "_standing_cache"


class StandingProvider(Protocol):
    """What the dues say of a membership that is neither staff nor exempt."""

    def standing_by_dues(self, membership: Membership) -> Standing:
        """GOOD, LAPSED or CANDIDATE from the membership's dues today (see the module docstring)."""

    def standings_by_dues(self, memberships: list[Membership], on: date | None = None) -> dict[int, Standing]:
        """``standing_by_dues`` of many memberships at once (by pk), in a bounded number of queries;
        ``on`` a past day: the standing their dues gave them at the end of that day."""

    def pending_payment(self, membership: Membership) -> tuple[str, str] | None:
        """(url, French label) of the payment page of the membership's pending dues, if any."""


# At most one: the last registered.
_providers: list[StandingProvider] = []


def register_standing_provider(provider: StandingProvider) -> None:
    """Make ``provider`` the source of the dues side of the standing (the last one registered)."""
    _providers[:] = [provider]


def standing_of(membership: Membership | None) -> Standing | None:
    """The standing of ``membership`` today (Europe/Paris), or None for no active membership."""
    if membership is None or not membership.is_active:
        return None
    cached = getattr(membership, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    standing = _compute(membership)
    setattr(membership, _CACHE_ATTR, standing)
    return standing


def _compute(membership: Membership) -> Standing:
    if membership.has_role(Role.TEAM) or membership.dues_exempt:
        return Standing.GOOD
    if not _providers:
        return Standing.CANDIDATE
    return _providers[0].standing_by_dues(membership)


def standing_as_member(membership: Membership) -> Standing:
    """The standing ``membership`` has without a team or admin role: from its exemption and its
    dues only (what a demotion to the member role would leave)."""
    if membership.dues_exempt:
        return Standing.GOOD
    if not _providers:
        return Standing.CANDIDATE
    return _providers[0].standing_by_dues(membership)


def standings_of(memberships: list[Membership], on: date | None = None) -> dict[int, Standing]:
    """``standing_of`` for many active memberships at once (by pk): the same rule, with the dues
    of all of them read together (a list or a dashboard, not one query per row).

    ``on``: the standing at the end of that day (Europe/Paris) rather than now, for figures of a
    past period (the ACI « members » indicator): the dues paid by then that covered that day. Roles
    and exemptions have no history and are read as they are now. Not cached."""
    found: dict[int, Standing] = {}
    by_dues = []
    for membership in memberships:
        cached = getattr(membership, _CACHE_ATTR, None) if on is None else None
        if cached is not None:
            found[membership.pk] = cached
        elif membership.has_role(Role.TEAM) or membership.dues_exempt:
            found[membership.pk] = Standing.GOOD
        elif not _providers:
            found[membership.pk] = Standing.CANDIDATE
        else:
            by_dues.append(membership)
    if by_dues:
        found.update(_providers[0].standings_by_dues(by_dues, on=on))
    if on is None:
        for membership in memberships:
            setattr(membership, _CACHE_ATTR, found[membership.pk])
    return found


def is_in_good_standing(membership: Membership | None) -> bool:
    """Whether ``membership`` may see members-only content (see the module's docstring)."""
    return standing_of(membership) == Standing.GOOD


@dataclass(frozen=True)
class Refusal:
    """Why a membership may not see members-only content, and where to settle it (French)."""

    standing: Standing
    message: str
    pay_url: str
    pay_label: str

    def as_dict(self) -> dict:
        return {
            "detail": self.message,
            "standing": str(self.standing),
            "pay_url": self.pay_url,
            "pay_label": self.pay_label,
        }


def refusal_for(membership: Membership) -> Refusal:
    """The explanation shown to a candidate or lapsed member, with the link that settles it: the
    pending dues' payment page when there is one, else the join (candidate) or renewal (lapsed)
    page."""
    standing = standing_of(membership)
    pending = _providers[0].pending_payment(membership) if _providers else None
    if standing == Standing.LAPSED:
        message = _(
            "Votre cotisation n'est plus à jour : ce contenu est réservé aux membres à jour de leur "
            "cotisation. Renouvelez votre adhésion pour y accéder de nouveau."
        )
        url, label = reverse("dues:renew"), _("Renouveler mon adhésion")
    else:
        message = _(
            "Votre adhésion n'est pas encore réglée : ce contenu est réservé aux membres à jour de leur "
            "cotisation. Il vous sera ouvert dès le paiement de votre cotisation."
        )
        url, label = reverse("dues:join"), _("Régler ma cotisation")
    if pending is not None:
        url, label = pending
    return Refusal(standing=standing or Standing.CANDIDATE, message=message, pay_url=url, pay_label=label)
