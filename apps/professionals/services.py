"""Writes on professional profiles (public schema, shared by every CPTS of the account)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import AccountCommunity, ProfessionalProfile

PROFILE_FIELDS = (
    "profession",
    "identifier_type",
    "identifier",
    "practice_mode",
    "practice_place",
    "commune",
    "postcode",
    "phone",
)


def save_profile(*, actor, user, data: dict) -> ProfessionalProfile:
    """Create or update ``user``'s profile from cleaned ``data``. Only the person may edit it."""
    if actor.pk != user.pk:
        raise PermissionError("a profile is edited by its owner only")
    with transaction.atomic():
        profile = ProfessionalProfile.objects.select_for_update().filter(user=user).first()
        profile = profile or ProfessionalProfile(user=user)
        for field in PROFILE_FIELDS:
            if field in data:
                setattr(profile, field, data[field])
        profile.updated_at = timezone.now()
        profile.save()
    return profile


def link_account_to_community(*, user, community) -> None:
    """Record in the public index that ``user`` is member of ``community`` (idempotent)."""
    AccountCommunity.objects.bulk_create(
        [AccountCommunity(user=user, community=community)], ignore_conflicts=True
    )
