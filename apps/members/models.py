"""Who belongs to this CPTS and with which role. Tables live in each CPTS's schema."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrateur")
    TEAM = "team", _("Équipe")
    MEMBER = "member", _("Membre")


# What each role includes: an admin can do what the team does, the team what a member does.
ROLE_RANK = {Role.MEMBER: 1, Role.TEAM: 2, Role.ADMIN: 3}


class Membership(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("compte")
    )
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(_("actif"), default=True)
    # Granted by the team without dues (an accepted invitation, an honorary member): à jour
    # whatever the dues (apps.members.standing).
    dues_exempt = models.BooleanField(_("dispensé de cotisation"), default=False)
    joined_at = models.DateTimeField(_("depuis le"), default=timezone.now)
    # Adhesion (issue 3): category declared on joining, consent, automatic renewal.
    eligibility_category = models.CharField(_("catégorie d'adhérent"), max_length=20, blank=True)
    consent_at = models.DateTimeField(_("consentement le"), null=True, blank=True)
    auto_renew = models.BooleanField(_("renouvellement automatique"), default=False)
    auto_renew_consent_at = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_payment_method_id = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def has_role(self, role: str) -> bool:
        return self.is_active and ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An invitation to join this CPTS with a role. Only the token's hash is stored."""

    email = models.EmailField(_("adresse e-mail"))
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        indexes = [models.Index(Lower("email"), name="members_invitation_email_ci")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class SecurityPolicy(models.Model):
    """This CPTS's access rules (one row, pk=1): whether team and admin accounts must pass a TOTP
    second factor (apps.members.two_factor) before using the site."""

    SINGLETON_ID = 1

    staff_two_factor_required = models.BooleanField(
        _("double authentification exigée pour l'équipe et les administrateurs"), default=False
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("règles d'accès")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="members_securitypolicy_singleton")
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class RoleChange(models.Model):
    """A role changed or withdrawn by an admin: the audit trail, and the e-mail owed to the person
    (``notified_at`` is stamped once it is sent)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    previous_role = models.CharField(_("rôle précédent"), max_length=10, choices=Role.choices)
    # Empty: the person no longer belongs to this CPTS.
    new_role = models.CharField(_("nouveau rôle"), max_length=10, choices=Role.choices, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at"]
        verbose_name = _("changement de rôle")
        verbose_name_plural = _("changements de rôle")

    def __str__(self) -> str:
        return f"{self.user} : {self.previous_role} → {self.new_role or '—'}"

    @property
    def is_removal(self) -> bool:
        return not self.new_role
