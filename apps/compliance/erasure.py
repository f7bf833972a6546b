"""Erasure of an account at its owner's request: anonymised across every CPTS, while what the law
requires is kept.

Kept (legal obligations): payments, dues, receipts and credit notes with their PDFs — accounting
records, 10 years (Code de commerce L123-22); a receipt keeps the name it was issued to (its
``content`` and PDF are a snapshot, not read from the account). Memberships stay as inactive rows
(they hold the dues history). Audit lines keep the account id only, so they show the anonymised
name. Removed or emptied: the account's e-mail, names, password, second factors and API tokens,
its professional profile, its calendar feed tokens (events and SNP roster), its SNP slots to come
(past ones stay, anonymous, in the counts of slots offered), its Stripe card reference, its claim on
a directory entry. Every CPTS holding something about the account is visited, member or not.

Rows that name the person by e-mail address only are reached too, in every CPTS: a campaign's
per-address rows, invitations, unsubscriptions, guest registrations and listing requests take the
anonymous address (their counts stay true); directory opt-ins and visitor messages are deleted.
The platform's mail log forgets the address (``SentMail.recipients``, provider events). Kept: the
suppression list (an objection or a hard bounce must still be honoured if the address comes back)
and the desk's access log (who read a patient's file, kept 12 months for its own purpose).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from apps.audit.log import record
from apps.campaigns.models import DirectoryOptIn, Recipient
from apps.directory.models import Entry, ListingRequest
from apps.events.models import CalendarToken, Registration
from apps.mailing.forget import address_digest
from apps.mailing.models import DeliveryEvent, SentMail
from apps.members.models import Invitation, Membership
from apps.notifications.models import Unsubscription
from apps.professionals.models import ProfessionalProfile
from apps.roster.models import RosterProfile, Slot
from apps.site.models import VisitorMessage
from tenants.models import Community

from .models import ErasureRequest
from .personal_data import communities_holding


def anonymous_email(user_id: int) -> str:
    return f"compte-efface-{user_id}@anonyme.invalid"


def _forget_address_in_community(address: str, anonymous: str) -> None:
    """In the current CPTS, the rows naming ``address`` by e-mail only (see the module's text)."""
    Recipient.objects.filter(email__iexact=address).update(email=anonymous, name="")
    Invitation.objects.filter(email__iexact=address).update(email=anonymous)
    Unsubscription.objects.filter(email__iexact=address).update(email=anonymous)
    Registration.objects.filter(guest_email__iexact=address).update(
        guest_email=anonymous, guest_first_name="", guest_last_name=_("Anonyme")
    )
    ListingRequest.objects.filter(email__iexact=address).update(
        email=anonymous, name=_("Anonyme"), phone="", address="", message="", website="", identifier=""
    )
    DirectoryOptIn.objects.filter(email__iexact=address).delete()
    VisitorMessage.objects.filter(email__iexact=address).delete()


def _forget_address_in_mail_log(address: str) -> None:
    """The platform's mail log: the address leaves every mail's recipients and its events."""
    lowered = address.strip().lower()
    digest = address_digest(lowered)
    found = SentMail.objects.select_for_update().filter(
        Q(recipients__icontains=lowered) | Q(recipients__contains=[digest])
    )
    for sent in found:
        kept = [r for r in sent.recipients if r.strip().lower() != lowered and r != digest]
        if kept != sent.recipients:
            sent.recipients = kept
            sent.save(update_fields=["recipients"])
    DeliveryEvent.objects.filter(recipient__iexact=lowered).update(recipient="")


def erase_account(*, actor) -> ErasureRequest:
    """Anonymise ``actor``'s own account everywhere, in one transaction; returns the request
    (completed). Only the person may ask (PermissionDenied for an anonymous actor). Each CPTS's log
    and the platform's get a line; the request is listed to the operator and to those CPTS' admins.
    """
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Connectez-vous pour demander l'effacement de vos données."))
    user = get_user_model().objects.get(pk=actor.pk)
    with transaction.atomic():
        schemas = [community.schema_name for community in communities_holding(user)]
        today = timezone.localdate()
        with schema_context("public"):
            request = ErasureRequest.objects.create(user_id=user.pk, communities=schemas)
            record(user, "gdpr.erasure_requested", user, communities=schemas)
        for schema in schemas:
            with schema_context(schema):
                Membership.objects.filter(user_id=user.pk).update(
                    is_active=False, auto_renew=False, stripe_payment_method_id=""
                )
                CalendarToken.objects.filter(user_id=user.pk).delete()
                RosterProfile.objects.filter(professional_id=user.pk).delete()
                slots = Slot.objects.filter(professional_id=user.pk)
                slots.filter(Q(date__gte=today) | Q(weekday__isnull=False, valid_from__gte=today)).delete()
                slots.filter(weekday__isnull=False).filter(
                    Q(valid_until__isnull=True) | Q(valid_until__gte=today)
                ).update(valid_until=today - timedelta(days=1))
                Entry.objects.filter(claimed_by_id=user.pk).update(claimed_by=None)
                record(user, "gdpr.account_anonymised", user, request=request.pk)
        address, anonymous = user.email, anonymous_email(user.pk)
        for schema in Community.objects.exclude(schema_name="public").values_list("schema_name", flat=True):
            with schema_context(schema):
                _forget_address_in_community(address, anonymous)
        with schema_context("public"):
            ProfessionalProfile.objects.filter(user_id=user.pk).delete()
            TOTPDevice.objects.filter(user_id=user.pk).delete()
            StaticDevice.objects.filter(user_id=user.pk).delete()
            Token.objects.filter(user_id=user.pk).delete()
            _forget_address_in_mail_log(address)
            user.email = anonymous
            user.first_name = ""
            user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
            request.completed_at = timezone.now()
            request.save(update_fields=["completed_at"])
            record(user, "gdpr.account_anonymised", user, request=request.pk)
    return request


def list_requests_for_community(schema: str):
    """Erasure requests of accounts that belonged to CPTS ``schema`` (its admins' view)."""
    with schema_context("public"):
        return list(ErasureRequest.objects.filter(communities__contains=[schema]))


def list_all_requests():
    with schema_context("public"):
        return list(ErasureRequest.objects.all())
