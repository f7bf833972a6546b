"""Reads of the current CPTS's members. Every function assumes the connection is set to the
CPTS's schema (request.tenant, or a TenantTask)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from .models import Invitation, Membership, hash_token


def get_membership(user) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user_id=user.pk, is_active=True).select_related("user").first()


def list_memberships() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by(
        "user__last_name", "user__first_name", "user__email"
    )


def get_pending_invitation(token: str) -> Invitation | None:
    return Invitation.objects.filter(
        token_hash=hash_token(token), accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
