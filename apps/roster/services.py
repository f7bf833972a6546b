"""Writing the roster. Every write checks its actor (``require_role``); a slot belongs to the
professional who declared it; the team asks the professionals who accept it to fill a gap."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.geo.models import Commune
from apps.members.models import Membership, Role
from apps.members.permissions import require_role
from apps.members.standing import Standing, is_in_good_standing, standings_of
from apps.notifications.service import notify
from apps.professionals.selectors import get_profile as get_professional_profile
from apps.territory.selectors import get_territory_codes
from tenants.queue import enqueue_on_commit

from .models import GapRequest, GapRequestRecipient, RosterProfile, Slot

SLOT_FIELDS = (
    "kind", "place", "place_name", "address", "commune", "phone", "instructions",
    "weekday", "date", "starts_at", "ends_at", "valid_from", "valid_until",
)  # fmt: skip


def _require_professional(actor) -> None:
    membership = require_role(actor, Role.MEMBER)
    if not is_in_good_standing(membership):
        raise PermissionDenied(_("Le tableau des soins non programmés est réservé aux membres à jour."))
    if get_professional_profile(actor) is None:
        raise PermissionDenied(
            _("Renseignez d'abord votre profil professionnel (profession) dans votre espace membre.")
        )


def _check_slot(data: dict) -> None:
    errors: dict[str, list[str]] = {}
    if (data.get("weekday") is None) == (data.get("date") is None):
        errors["weekday"] = [_("Choisissez un jour de la semaine (chaque semaine) ou une date (une fois).")]
    if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
        errors["ends_at"] = [_("L'heure de fin doit suivre l'heure de début.")]
    if data.get("valid_until") and data.get("valid_from") and data["valid_until"] < data["valid_from"]:
        errors["valid_until"] = [_("La date de fin doit suivre la date de début.")]
    commune = data.get("commune")
    if commune is not None and commune.code not in set(get_territory_codes()):
        errors["commune"] = [_("Cette commune n'est pas sur le territoire de la CPTS.")]
    if errors:
        raise ValidationError(errors)


def add_slot(*, actor, data: dict) -> Slot:
    """Declare a slot of ``actor`` (a member à jour with a professional profile)."""
    _require_professional(actor)
    values = {name: data.get(name) for name in SLOT_FIELDS if name in data}
    if values.get("date") is not None:
        values["weekday"] = None
    if values.get("valid_from") is None:
        values.pop("valid_from", None)
    _check_slot({**values, "valid_from": values.get("valid_from") or timezone.localdate()})
    slot = Slot.objects.create(professional=actor, **values)
    ensure_profile(actor)
    return slot


def delete_slot(*, actor, slot: Slot) -> None:
    """The professional removes their slot; the team may remove any."""
    membership = require_role(actor, Role.MEMBER)
    if slot.professional_id != actor.pk and not membership.has_role(Role.TEAM):
        raise PermissionDenied(_("Ce créneau n'est pas le vôtre."))
    slot.delete()


def ensure_profile(user) -> RosterProfile:
    profile, _created = RosterProfile.objects.get_or_create(professional=user)
    return profile


def set_gap_requests(*, actor, accepts: bool) -> RosterProfile:
    _require_professional(actor)
    profile = ensure_profile(actor)
    profile.accepts_gap_requests = accepts
    profile.save(update_fields=["accepts_gap_requests"])
    return profile


def gap_request_recipients() -> list[int]:
    """Members à jour here who accept gap requests (ids)."""
    accepting = RosterProfile.objects.filter(accepts_gap_requests=True).values_list(
        "professional_id", flat=True
    )
    active = list(Membership.objects.filter(is_active=True, user_id__in=list(accepting)))
    # Read together: one standing query per volunteer made the week grid grow with them.
    standings = standings_of(active)
    return [membership.user_id for membership in active if standings.get(membership.pk) == Standing.GOOD]


def request_gap_fill(*, actor, commune_code: str, day: date, message: str = "") -> GapRequest:
    """Ask, once per commune and day, the professionals who accept it to cover a gap; the e-mails
    leave after commit (``roster.send_gap_request``)."""
    require_role(actor, Role.TEAM)
    if commune_code not in set(get_territory_codes()):
        raise ValidationError(_("Cette commune n'est pas sur le territoire de la CPTS."))
    if day < timezone.localdate():
        raise ValidationError(_("Ce jour est passé."))
    recipients = gap_request_recipients()
    if not recipients:
        raise ValidationError(
            _("Aucun professionnel n'accepte encore d'être sollicité : rien n'a été envoyé.")
        )
    try:
        with transaction.atomic():
            gap = GapRequest.objects.create(
                commune=Commune.objects.get(code=commune_code), day=day, message=message, requested_by=actor
            )
            GapRequestRecipient.objects.bulk_create(
                GapRequestRecipient(request=gap, professional_id=user_id) for user_id in recipients
            )
    except IntegrityError as error:
        raise ValidationError(
            _("Les professionnels ont déjà été sollicités pour ce jour et cette commune.")
        ) from error
    enqueue_on_commit("roster.send_gap_request", connection.schema_name, gap.pk)
    return gap


def send_gap_request_mails(gap_request_id: int) -> int:
    """Tell each volunteer of a gap request not told yet, through the notification service (an
    optional kind: a volunteer may mute it). Each recipient's row is locked, told, then stamped in
    its own transaction; ``notify``'s key makes a retry send nothing twice. Returns how many were
    told now."""
    community = connection.tenant
    gap = GapRequest.objects.filter(pk=gap_request_id).select_related("commune").first()
    if gap is None:
        return 0
    url = f"{community.primary_url()}snp/mes-creneaux/"
    told = 0
    pending = list(gap.recipients.filter(sent_at__isnull=True).values_list("pk", flat=True))
    for recipient_id in pending:
        with transaction.atomic():
            recipient = (
                GapRequestRecipient.objects.select_for_update(skip_locked=True)
                .select_related("professional")
                .filter(pk=recipient_id, sent_at__isnull=True)
                .first()
            )
            if recipient is None:
                continue
            delivery = notify(
                user=recipient.professional,
                kind="roster.gap_request",
                key=f"roster.gap_request:{gap.pk}:{recipient.professional_id}",
                subject=_("%(cpts)s : personne en soins non programmés à %(commune)s le %(day)s")
                % {"cpts": community.name, "commune": gap.commune.name, "day": date_format(gap.day, "l j F")},
                template="roster/email/gap_request",
                context={"community": community, "gap": gap, "person": recipient.professional, "url": url},
                url=url,
            )
            if delivery.done:
                recipient.sent_at = timezone.now()
                recipient.save(update_fields=["sent_at"])
                told += 1
    return told
