"""Reads of the current CPTS's members. Every function assumes the connection is set to the
CPTS's schema (request.tenant, or a TenantTask)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Invitation, Membership, SecurityPolicy, hash_token


def get_membership(user) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user_id=user.pk, is_active=True).select_related("user").first()


def community_accounts():
    """Accounts holding an active membership (any role) in the current CPTS: the only people a
    relation field of this CPTS (an action's owner, a group's lead…) may point at. Accounts live
    in the public schema, shared by every CPTS and the operators."""
    return (
        get_user_model()
        .objects.filter(pk__in=Membership.objects.filter(is_active=True).values("user_id"))
        .order_by("last_name", "first_name", "email")
    )


def is_community_account(user_id) -> bool:
    return Membership.objects.filter(user_id=getattr(user_id, "pk", user_id), is_active=True).exists()


def list_memberships() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by(
        "user__last_name", "user__first_name", "user__email"
    )


def get_pending_invitation(token: str) -> Invitation | None:
    return Invitation.objects.filter(
        token_hash=hash_token(token), accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


def staff_two_factor_required() -> bool:
    """Whether this CPTS requires a TOTP second factor of its team and admin accounts."""
    return SecurityPolicy.objects.filter(
        pk=SecurityPolicy.SINGLETON_ID, staff_two_factor_required=True
    ).exists()


def list_staff_two_factor_status() -> list[tuple[Membership, bool]]:
    """Active team and admin memberships, each with whether the account has a confirmed TOTP
    device (devices live in the public schema: one per account, valid in every CPTS)."""
    staff = list(
        Membership.objects.filter(is_active=True, role__in=("team", "admin"))
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )
    enrolled = set(
        TOTPDevice.objects.filter(user_id__in=[m.user_id for m in staff], confirmed=True).values_list(
            "user_id", flat=True
        )
    )
    return [(membership, membership.user_id in enrolled) for membership in staff]
