"""Writes on the current CPTS's directory. Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.log import record
from apps.geo.selectors import commune_for_address
from apps.members.models import Role
from apps.members.permissions import require_role
from apps.professionals.models import IdentifierType
from tenants.actors import person
from tenants.queue import enqueue_on_commit

from . import codes
from .models import Entry, Family, ImportRun, Kind, ListingRequest, Place, Source
from .search import add_to_vocabulary, index_entry

# Fields an import brings; editing one by hand locks it against later imports.
IMPORTED_FIELDS = {
    "name", "civility", "last_name", "first_name", "profession_code", "profession", "specialty_code",
    "specialty", "practice_mode", "finess_category_code", "finess_category", "siret", "kind", "family",
}  # fmt: skip
# What a professional who claimed their entry may change.
CLAIMANT_FIELDS = ["accepts_new_patients", "languages", "description", "website"]


def refresh_search_document(entry: Entry) -> None:
    index_entry(entry, list(entry.places.all()))
    Entry.objects.filter(pk=entry.pk).update(
        search_title=entry.search_title, search_document=entry.search_document
    )
    add_to_vocabulary([entry.pk])


def validate_identifier(identifier_type: str, identifier: str) -> str:
    value = codes.digits(identifier).upper()
    if not value:
        return ""
    checks = {
        IdentifierType.RPPS: (codes.is_valid_rpps, _("Numéro RPPS invalide (11 chiffres, clé de contrôle).")),
        IdentifierType.ADELI: (codes.is_valid_adeli, _("Numéro ADELI invalide (9 chiffres).")),
        IdentifierType.FINESS: (codes.is_valid_finess, _("Numéro FINESS invalide.")),
        IdentifierType.SIRET: (codes.is_valid_siret, _("Numéro SIRET invalide.")),
    }
    check, message = checks.get(identifier_type, (None, None))
    if check is not None and not check(value):
        raise ValidationError({"identifier": message})
    return value


def create_entry(*, actor, fields: dict, place: dict | None = None, source: str = Source.MANUAL) -> Entry:
    """Create an entry by hand (team, accepted listing request). ``place`` holds Place fields.
    Team only (PermissionDenied)."""
    require_role(actor, Role.TEAM)
    fields = dict(fields)
    fields["identifier"] = validate_identifier(
        fields.get("identifier_type", ""), fields.get("identifier", "")
    )
    if (
        fields["identifier"]
        and Entry.objects.filter(
            identifier_type=fields.get("identifier_type", ""), identifier=fields["identifier"]
        ).exists()
    ):
        raise ValidationError({"identifier": _("Une fiche porte déjà cet identifiant.")})
    with transaction.atomic():
        entry = Entry.objects.create(source=source, **fields)
        if place:
            Place.objects.create(entry=entry, **_with_commune(place))
        refresh_search_document(entry)
        record(actor, "directory.entry_created", entry, source=source)
    return entry


def update_entry(*, actor, entry: Entry, changes: dict, place_changes: dict | None = None) -> Entry:
    """Apply the team's edits. Imported fields it changes are locked, so imports keep the edit;
    changing a place locks the places. Team only (PermissionDenied)."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        entry = _apply_changes(entry, changes, place_changes)
        record(actor, "directory.entry_updated", entry, fields=sorted(changes), place=bool(place_changes))
    return entry


def _apply_changes(entry: Entry, changes: dict, place_changes: dict | None = None) -> Entry:
    with transaction.atomic():
        entry = Entry.objects.select_for_update().get(pk=entry.pk)
        locked = set(entry.locked_fields)
        for name, value in changes.items():
            if getattr(entry, name) != value:
                setattr(entry, name, value)
                if name in IMPORTED_FIELDS:
                    locked.add(name)
        if place_changes:
            place = entry.places.first() or Place(entry=entry)
            changed = False
            if any(
                place_changes.get(name, getattr(place, name)) != getattr(place, name)
                for name in ("postcode", "city")
            ):
                place_changes = _with_commune({**place_changes, "commune_id": None})
            for name, value in place_changes.items():
                if getattr(place, name) != value:
                    setattr(place, name, value)
                    changed = True
            if changed:
                place.save()
                locked.add("places")
        entry.locked_fields = sorted(locked)
        entry.updated_at = timezone.now()
        entry.save()
        refresh_search_document(entry)
    return entry


def _with_commune(place: dict) -> dict:
    """``place`` with its commune found from its postcode and city when it names none (the most
    precise: an arrondissement in Paris, Lyon, Marseille, which lies within its city)."""
    if place.get("commune_id"):
        return place
    commune = commune_for_address(place.get("postcode", ""), place.get("city", ""))
    return {**place, "commune_id": commune.code if commune else None}


def request_claim(*, actor, entry: Entry, rpps: str, message: str) -> ListingRequest:
    """A member asks the team to link ``entry`` to their account, so they may edit its public
    fields. Only a professional entry identified by its RPPS, asked by an account whose profile
    bears that RPPS, with a word on why (the team checks who asks). Nothing changes on the entry
    until the team accepts (``decide_listing_request``). Raises ValidationError with the reason."""
    if entry.kind != Kind.PROFESSIONAL or entry.identifier_type != IdentifierType.RPPS:
        raise ValidationError(
            _("Seule une fiche de professionnel identifiée par son RPPS peut être revendiquée.")
        )
    if codes.digits(rpps) != entry.identifier:
        raise ValidationError(_("Votre numéro RPPS ne correspond pas à cette fiche."))
    if entry.claimed_by_id == actor.pk:
        raise ValidationError(_("Cette fiche est déjà la vôtre."))
    if entry.claimed_by_id:
        raise ValidationError(
            _(
                "Cette fiche est déjà liée à un autre compte : écrivez à l'équipe de la CPTS si c'est une erreur."
            )
        )
    message = (message or "").strip()
    if not message:
        raise ValidationError(
            {"message": _("Dites à l'équipe qui vous êtes et où vous exercez : elle vérifie chaque demande.")}
        )
    place = entry.places.first()
    try:
        with transaction.atomic():
            return ListingRequest.objects.create(
                purpose=ListingRequest.Purpose.CLAIM,
                requested_by=actor,
                entry=entry,
                kind=entry.kind,
                name=actor.get_full_name() or actor.email,
                profession=entry.profession,
                identifier=entry.identifier,
                address=place.address if place else "",
                postcode=place.postcode if place else "",
                city=place.city if place else "",
                email=actor.email,
                message=message,
            )
    except IntegrityError as error:  # a second click while the first request is pending
        raise ValidationError(_("Votre demande est déjà en cours d'examen par l'équipe.")) from error


def _grant_claim(listing: ListingRequest) -> Entry:
    """Link the claimed entry to the requesting account (the team accepted). Caller holds the
    transaction."""
    entry = Entry.objects.select_for_update().filter(pk=listing.entry_id).first()
    if entry is None:
        raise ValidationError(_("La fiche revendiquée n'existe plus."))
    if listing.requested_by_id is None:
        raise ValidationError(_("Le compte qui a fait la demande n'existe plus."))
    if entry.claimed_by_id and entry.claimed_by_id != listing.requested_by_id:
        raise ValidationError(
            _(
                "Cette fiche est déjà liée à un autre compte : refusez cette demande ou retirez d'abord l'autre lien."
            )
        )
    entry.claimed_by_id = listing.requested_by_id
    entry.claimed_at = timezone.now()
    entry.save(update_fields=["claimed_by", "claimed_at"])
    return entry


def edit_claimed_entry(*, actor, entry: Entry, changes: dict) -> Entry:
    """The professional who claimed ``entry`` edits its public fields (CLAIMANT_FIELDS only)."""
    if entry.claimed_by_id != actor.pk:
        raise ValidationError(_("Vous n'avez pas revendiqué cette fiche."))
    unknown = set(changes) - set(CLAIMANT_FIELDS)
    if unknown:
        raise ValidationError(
            _("Champs non modifiables : %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    return _apply_changes(entry, changes)


def start_import(*, actor, rpps_file=None, finess_file=None) -> ImportRun:
    """Store the uploaded files (per-CPTS storage) and have a worker import them (after commit).
    Team only (PermissionDenied)."""
    require_role(actor, Role.TEAM)
    if not rpps_file and not finess_file:
        raise ValidationError(_("Choisissez au moins un fichier à importer."))
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    with transaction.atomic():
        run = ImportRun.objects.create(created_by=person(actor))
        names = {}
        for kind, upload in (("rpps", rpps_file), ("finess", finess_file)):
            if upload:
                names[f"{kind}_file"] = default_storage.save(
                    f"directory/imports/{stamp}-{run.pk}-{kind}.txt", upload
                )
                names[f"{kind}_name"] = os.path.basename(upload.name or "")[:255]
        ImportRun.objects.filter(pk=run.pk).update(**names)
        run.refresh_from_db()
        record(
            actor,
            "directory.import_started",
            run,
            files=sorted(names.get(f"{k}_name", "") for k in ("rpps", "finess") if f"{k}_name" in names),
        )
        enqueue_on_commit("directory.run_import", connection.schema_name, run.pk)
    return run


def submit_listing_request(*, data: dict) -> ListingRequest:
    return ListingRequest.objects.create(**data)


def decide_listing_request(*, actor, listing: ListingRequest, accept: bool, note: str = "") -> ListingRequest:
    """Accept or refuse a pending request; the requester is told by e-mail (worker, after commit).
    Accepting a listing request creates (or updates) the entry; accepting a claim links the entry
    to the requesting account. Raises ValidationError if already decided or if the claim can no
    longer be granted. Team only (PermissionDenied)."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        listing = ListingRequest.objects.select_for_update().get(pk=listing.pk)
        if listing.status != ListingRequest.Status.PENDING:
            raise ValidationError(_("Cette demande a déjà été traitée."))
        if accept and listing.is_claim:
            _grant_claim(listing)
        elif accept:
            listing.entry = _entry_from_request(actor, listing)
        listing.status = ListingRequest.Status.ACCEPTED if accept else ListingRequest.Status.REJECTED
        listing.decided_by = person(actor)
        listing.decided_at = timezone.now()
        listing.decision_note = note
        listing.save()
        # By id: the request carries the requester's name, the log keeps no copy of it.
        record(
            actor, "directory.listing_decided", None,
            listing=listing.pk, entry=listing.entry_id, accepted=accept, claim=listing.is_claim,
        )  # fmt: skip
        enqueue_on_commit("directory.notify_listing_requester", connection.schema_name, listing.pk)
    return listing


def _entry_from_request(actor, listing: ListingRequest) -> Entry:
    identifier = codes.digits(listing.identifier).upper()
    identifier_type = ""
    if identifier:
        for candidate, check in (
            (IdentifierType.RPPS, codes.is_valid_rpps),
            (IdentifierType.SIRET, codes.is_valid_siret),
            (IdentifierType.FINESS, codes.is_valid_finess),
            (IdentifierType.ADELI, codes.is_valid_adeli),
        ):
            if check(identifier):
                identifier_type = candidate
                break
        else:
            identifier = ""
    place = _with_commune(
        {
            "address": listing.address,
            "postcode": listing.postcode.strip(),
            "city": listing.city,
            "phone": codes.normalize_phone(listing.phone),
        }
    )
    existing = (
        Entry.objects.filter(identifier_type=identifier_type, identifier=identifier).first()
        if identifier
        else None
    )
    if existing is not None:
        changes = {"website": listing.website} if listing.website else {}
        return update_entry(actor=actor, entry=existing, changes=changes, place_changes=place)
    fields = {
        "kind": listing.kind,
        "family": Family.LIBERAL if listing.kind == Kind.PROFESSIONAL else Family.OTHER,
        "name": listing.name,
        "profession": listing.profession,
        "identifier_type": identifier_type,
        "identifier": identifier,
        "website": listing.website,
    }
    return create_entry(actor=actor, fields=fields, place=place, source=Source.REQUEST)
