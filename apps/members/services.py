"""Writes on the current CPTS's members. Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.log import record
from apps.professionals.services import link_account_to_community
from tenants.actors import person
from tenants.models import Community
from tenants.queue import enqueue_on_commit

from .models import Invitation, Membership, Role, RoleChange, SecurityPolicy, hash_token
from .permissions import require_role
from .standing import Standing, standing_as_member


def invite(*, actor, email: str, role: str = Role.MEMBER) -> Invitation:
    """An admin invites ``email`` with ``role``: create the invitation and have a worker e-mail it
    (after commit). Raises PermissionDenied for anyone but an admin of this CPTS."""
    require_role(actor, Role.ADMIN)
    return _create_invitation(actor=actor, email=email, role=role)


def _create_invitation(*, actor, email: str, role: str) -> Invitation:
    email = get_user_model().objects.normalize_email(email).lower()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            invited_by=person(actor),
            # Placeholder hash: the real token is drawn when the e-mail is sent (only then is it needed).
            token_hash=hash_token(secrets.token_urlsafe(32)),
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        record(actor, "members.invited", None, invitation=invitation.pk, role=role)
        enqueue_on_commit("members.send_invitation", connection.schema_name, invitation.pk)
    return invitation


def invite_first_admin(*, actor, request) -> Invitation:
    """Provisioning step: invite the new CPTS's first administrator (``request.admin_email``). The
    actor is the platform operator who opens the CPTS (provisioning checks it), no admin here yet."""
    return _create_invitation(actor=actor, email=request.admin_email, role=Role.ADMIN)


def issue_invitation_token(invitation: Invitation) -> str:
    """Draw a fresh token for ``invitation`` and store its hash; returns the token (for the e-mail)."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.save(update_fields=["token_hash"])
    return token


def grant_role(*, user, role: str, dues_exempt: bool = False) -> Membership:
    """Give ``user`` ``role`` here; an existing membership is only ever raised, never lowered.

    ``dues_exempt``: the team grants the role without dues (an invitation), so the member is
    à jour whatever the dues (apps.members.standing). Joining through the dues pages does not: the
    member is a candidate until the dues are settled.
    """
    membership, created = Membership.objects.get_or_create(
        user=user, defaults={"role": role, "dues_exempt": dues_exempt}
    )
    if not created and (not membership.is_active or not membership.has_role(role)):
        membership.role = role
        membership.is_active = True
        membership.save(update_fields=["role", "is_active"])
    if not created and dues_exempt and not membership.dues_exempt:
        membership.dues_exempt = True
        membership.save(update_fields=["dues_exempt"])
    # The public index of the account's CPTS (member space lists them without scanning schemas).
    community = Community.objects.filter(schema_name=connection.schema_name).first()
    if community is not None:
        link_account_to_community(user=user, community=community)
    return membership


def accept_invitation(*, invitation: Invitation, user) -> Membership:
    """Turn a pending invitation into a role for ``user``. Raises ValidationError if it is used,
    expired, or addressed to another e-mail address."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_pending:
            raise ValidationError(_("Cette invitation a déjà été utilisée ou a expiré."))
        if locked.email.lower() != user.email.lower():
            raise ValidationError(_("Cette invitation a été envoyée à une autre adresse e-mail."))
        # The team chose this person: the role is granted without dues.
        membership = grant_role(user=user, role=locked.role, dues_exempt=True)
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def set_staff_two_factor(*, actor, request_verified: bool, required: bool):
    """Require (or stop requiring) a TOTP second factor of this CPTS's team and admin accounts.

    Only an admin may change it, and only from a session that passed the second factor itself, so
    an admin cannot impose what they have not set up (nor lift it with a stolen password).
    Raises PermissionDenied (not admin) or ValidationError (French reason).
    """
    require_role(actor, Role.ADMIN)
    if not request_verified:
        raise ValidationError(
            _(
                "Activez d'abord la double authentification sur votre propre compte (Mon compte) "
                "et validez un code dans cette session."
            )
        )
    with transaction.atomic():
        policy, _created = SecurityPolicy.objects.select_for_update().get_or_create(
            pk=SecurityPolicy.SINGLETON_ID
        )
        policy.staff_two_factor_required = required
        policy.changed_by = person(actor)
        policy.changed_at = timezone.now()
        policy.save()
        record(actor, "members.security_changed", None, staff_two_factor_required=required)
    return policy


def _record_role_change(*, actor, membership: Membership, new_role: str) -> Membership:
    """Set ``membership``'s role (``""``: withdraw it) unless that leaves this CPTS without an
    active admin; record the change and e-mail the person after commit.

    Admin rows are locked first, so two admins demoting each other at once cannot both succeed.
    Raises PermissionDenied (actor not admin) or ValidationError (French reason).
    """
    require_role(actor, Role.ADMIN)
    if new_role and new_role not in Role.values:
        raise ValidationError({"role": _("Choisissez un rôle de la liste.")})
    with transaction.atomic():
        admins = list(
            Membership.objects.select_for_update().filter(role=Role.ADMIN, is_active=True).order_by("pk")
        )
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if not locked.is_active:
            raise ValidationError(_("Cette personne ne fait plus partie de la CPTS."))
        if locked.role == new_role:
            return locked
        if locked.role == Role.ADMIN and new_role != Role.ADMIN and len(admins) <= 1:
            raise ValidationError(
                _(
                    "%(name)s est le dernier administrateur de la CPTS : nommez d'abord un autre "
                    "administrateur."
                )
                % {"name": locked.user.get_full_name() or locked.user.email}
            )
        change = RoleChange.objects.create(
            user=locked.user, previous_role=locked.role, new_role=new_role, changed_by=person(actor)
        )
        if new_role:
            details = {}
            if new_role == Role.MEMBER and locked.has_role(Role.TEAM):
                # A demotion changes the role only: the person stays à jour. Staff never needed
                # dues; one whose dues do not cover them keeps the standing as granted by the team
                # without dues (the exemption), and their dues are left as they are.
                if standing_as_member(locked) != Standing.GOOD:
                    locked.dues_exempt = details["dues_exempt"] = True
            locked.role = new_role
            locked.save(update_fields=["role", "dues_exempt"])
            record(
                actor,
                "members.role_changed",
                locked.user,
                before=change.previous_role,
                after=new_role,
                **details,
            )
        else:
            locked.is_active = False
            locked.save(update_fields=["is_active"])
            record(actor, "members.member_removed", locked.user, before=change.previous_role)
        enqueue_on_commit("members.notify_role_change", connection.schema_name, change.pk)
    return locked


def change_role(*, actor, membership: Membership, role: str) -> Membership:
    """An admin gives ``membership`` another role; the person is told by e-mail. Refused (French
    ValidationError) when it would leave the CPTS without an admin; PermissionDenied for non-admins."""
    return _record_role_change(actor=actor, membership=membership, new_role=role)


def remove_member(*, actor, membership: Membership) -> Membership:
    """An admin withdraws ``membership``'s role (the row stays, inactive: dues and receipts keep
    their history); the person is told by e-mail. Same refusals as ``change_role``."""
    return _record_role_change(actor=actor, membership=membership, new_role="")
