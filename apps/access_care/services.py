"""Writes of the médecin-traitant desk. Every function assumes the connection is set to the
CPTS's schema. Team writes take a keyword-only ``actor`` checked with ``require_desk`` (team role
and the « accès aux soins » permission); each write of a patient request appends an access-log
row in the same transaction. Mails are published by name after commit (workers/access_care.py).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.log import record
from apps.mailing.forget import forget_recipients
from apps.members.models import Role
from apps.members.permissions import require_role
from apps.members.selectors import get_membership
from apps.territory.selectors import get_territory_place_codes
from tenants import rate_limit
from tenants.queue import enqueue_on_commit
from tenants.selectors import current_community

from . import crypto, hooks
from .models import (
    DECLARED_CRITERIA,
    DEFAULT_WEIGHTS,
    WAIT_MONTH,
    AccessLog,
    DeskPermission,
    DeskSettings,
    GpCapacity,
    PatientRequest,
    Proposal,
    StatusChange,
)

# Public form: at most this many requests per visitor address and window (per CPTS).
REQUEST_RATE_LIMIT = 5
REQUEST_RATE_WINDOW = 60 * 60
# Access-log rows are kept this long, then purged by the daily task.
ACCESS_LOG_MONTHS = 12

Status = PatientRequest.Status

# Which status the team may move a request to, from each status.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.QUALIFIED, Status.UNREACHABLE, Status.CLOSED},
    Status.QUALIFIED: {Status.UNREACHABLE, Status.CLOSED, Status.DECLINED},
    Status.PROPOSED: {Status.QUALIFIED, Status.DECLINED, Status.UNREACHABLE, Status.CLOSED},
    Status.ACCEPTED: {Status.CLOSED},
    Status.DECLINED: {Status.QUALIFIED, Status.CLOSED},
    Status.UNREACHABLE: {Status.QUALIFIED, Status.CLOSED},
    Status.CLOSED: set(),
}


class DeskDisabled(PermissionDenied):
    """The module is off for this CPTS (or the platform declares no HDS hosting)."""


# --- Settings, switch and permission -------------------------------------------------------------


def get_desk_settings() -> DeskSettings:
    return DeskSettings.objects.filter(pk=1).first() or DeskSettings(pk=1)


def is_enabled() -> bool:
    """The desk may hold data here: HDS hosting declared and the operator's switch on."""
    return bool(settings.HDS_HOSTING) and DeskSettings.objects.filter(pk=1, enabled=True).exists()


def set_enabled(*, operator_email: str, enabled: bool) -> DeskSettings:
    """The operator's switch for the current CPTS. Refused (ValidationError) without HDS hosting."""
    if enabled and not settings.HDS_HOSTING:
        raise ValidationError(
            _(
                "La plateforme ne déclare pas d'hébergement certifié HDS (HDS_HOSTING) : le module "
                "d'accès aux soins ne peut pas être activé."
            )
        )
    with transaction.atomic():
        row, _created = DeskSettings.objects.select_for_update().get_or_create(pk=1)
        row.enabled = enabled
        row.enabled_at = timezone.now() if enabled else None
        row.enabled_by = operator_email if enabled else ""
        row.save()
        hooks.settings_changed()
    return row


def has_permission(user) -> bool:
    return bool(getattr(user, "pk", None)) and DeskPermission.objects.filter(user_id=user.pk).exists()


def require_desk(actor) -> None:
    """The desk writes' check: module on, actor in the team with the « accès aux soins »
    permission. Raises DeskDisabled or PermissionDenied (French reason)."""
    if not is_enabled():
        raise DeskDisabled(_("Le module d'accès aux soins n'est pas activé pour cette CPTS."))
    require_role(actor, Role.TEAM)
    if not has_permission(actor):
        raise PermissionDenied(_("L'accès aux soins ne vous a pas été ouvert par un administrateur."))


def grant_permission(*, actor, user) -> DeskPermission:
    """An admin opens the desk to a team member (or to themselves)."""
    require_role(actor, Role.ADMIN)
    membership = get_membership(user)
    if membership is None or not membership.has_role(Role.TEAM):
        raise ValidationError(_("Seuls les membres de l'équipe peuvent recevoir l'accès aux soins."))
    with transaction.atomic():
        permission, created = DeskPermission.objects.get_or_create(
            user=user, defaults={"granted_by": actor, "granted_at": timezone.now()}
        )
        log_access(actor=actor, action="grant", detail=user.email)
        if created:
            record(actor, "desk.permission_changed", user, granted=True)
    return permission


def revoke_permission(*, actor, user) -> None:
    require_role(actor, Role.ADMIN)
    with transaction.atomic():
        deleted, _rows = DeskPermission.objects.filter(user=user).delete()
        log_access(actor=actor, action="revoke", detail=user.email)
        if deleted:
            record(actor, "desk.permission_changed", user, granted=False)


def update_settings(*, actor, weights: dict, retention_months: int, letter_subject: str, letter_body: str):
    """The team's settings; open requests get their priority recomputed with the new weights."""
    require_desk(actor)
    with transaction.atomic():
        row, _created = DeskSettings.objects.select_for_update().get_or_create(pk=1)
        row.weights = {key: int(value) for key, value in weights.items()}
        row.retention_months = retention_months
        row.letter_subject = letter_subject
        row.letter_body = letter_body
        row.save()
        today = timezone.localdate()
        changed = _recompute(
            PatientRequest.objects.filter(status__in=PatientRequest.OPEN_STATUSES), row.weights, today
        )
        log_access(actor=actor, action="settings", detail=f"{changed} priorités recalculées le {today}")
        record(actor, "desk.settings_changed", None, retention_months=retention_months)
        hooks.settings_changed()
    return row


def start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the CPTS's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


# --- The access log --------------------------------------------------------------------------------


def log_access(*, actor, action: str, request_id: int | None = None, detail: str = "", ip: str = "") -> None:
    """Append one access-log row (inside the caller's transaction, if any)."""
    AccessLog.objects.create(
        user_id=getattr(actor, "pk", None),
        user_email=getattr(actor, "email", "") or "",
        action=action,
        request_id=request_id,
        detail=detail[:200],
        ip=ip,
    )


def log_reads(*, actor, action: str, request_ids: list[int], ip: str = "") -> None:
    """One access-log row per request shown (a list page shows several)."""
    now = timezone.now()
    AccessLog.objects.bulk_create(
        AccessLog(
            at=now,
            user_id=getattr(actor, "pk", None),
            user_email=getattr(actor, "email", "") or "",
            action=action,
            request_id=pk,
            ip=ip,
        )
        for pk in request_ids
    )


def purge_access_log(*, today: date | None = None) -> int:
    """Delete the access-log rows older than ACCESS_LOG_MONTHS (the trigger allows only those)."""
    today = today or timezone.localdate()
    limit = start_of(today - relativedelta(months=ACCESS_LOG_MONTHS))
    deleted, _detail = AccessLog.objects.filter(at__lt=limit).delete()
    return deleted


# --- Requests --------------------------------------------------------------------------------------


def months_waited(created_at: datetime, today: date) -> int:
    """Full months from the request's day to ``today`` (0 before the first month is over)."""
    waited = relativedelta(today, timezone.localtime(created_at).date())
    return max(waited.years * 12 + waited.months, 0)


def priority_of(groups: list[str], weights: dict, *, months: int = 0) -> int:
    """The sum of the weights of ``groups`` plus the waiting weight per full month waited."""
    per_month = int(weights.get(WAIT_MONTH, DEFAULT_WEIGHTS[WAIT_MONTH]))
    return sum(int(weights.get(group, 0)) for group in set(groups)) + per_month * months


def priority_on(request: PatientRequest, weights: dict, today: date) -> int:
    """The request's priority on ``today``: its criteria, 70 and over if they are by then, and
    the months it has waited."""
    return priority_of(request.groups(today), weights, months=months_waited(request.created_at, today))


# Rows locked, rescored and written per transaction by the recompute.
RECOMPUTE_BATCH = 500


def _recompute(queryset, weights: dict, today: date) -> int:
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), RECOMPUTE_BATCH):
        with transaction.atomic():
            rows = list(
                PatientRequest.objects.select_for_update()
                .filter(pk__in=ids[start : start + RECOMPUTE_BATCH], status__in=PatientRequest.OPEN_STATUSES)
                .only("birth_date_text", "criteria_text", "created_at", "priority")
            )
            stale = []
            for request in rows:
                score = priority_on(request, weights, today)
                if score != request.priority:
                    request.priority = score
                    stale.append(request)
            PatientRequest.objects.bulk_update(stale, ["priority"])
            changed += len(stale)
    return changed


def recompute_priorities(*, today: date | None = None) -> int:
    """The daily recompute of the open requests' priority (age reached, months waited). Writes only
    the scores that changed, so a second run the same day changes nothing and logs nothing.
    Returns how many requests changed."""
    today = today or timezone.localdate()
    changed = _recompute(
        PatientRequest.objects.filter(status__in=PatientRequest.OPEN_STATUSES, anonymised_at__isnull=True),
        get_desk_settings().weights,
        today,
    )
    if changed:
        log_access(actor=None, action="recompute", detail=f"{changed} priorités recalculées le {today}")
    return changed


@dataclass
class RequestData:
    last_name: str
    first_name: str
    birth_date: date
    commune: str
    phone: str = ""
    email: str = ""
    address: str = ""
    helper: str = ""
    criteria: tuple[str, ...] = ()
    preferred_communes: tuple[str, ...] = ()
    contact_by: str = PatientRequest.ContactBy.EMAIL
    notes: str = ""


def check_in_territory(commune: str) -> None:
    """Raise ValidationError (French, on ``commune``) when the commune is outside the territory."""
    if commune not in get_territory_place_codes():
        raise ValidationError(
            {
                "commune": _(
                    "Cette commune ne fait pas partie du territoire de la CPTS. Adressez-vous à la CPTS "
                    "de votre commune (la liste est sur le site de votre caisse d'assurance maladie, "
                    "ameli.fr, ou auprès de votre mairie) ou à votre caisse primaire d'assurance maladie."
                )
            }
        )


def _fill(request: PatientRequest, data: RequestData, weights: dict) -> None:
    request.last_name = data.last_name.strip()
    request.first_name = data.first_name.strip()
    request.birth_date_text = data.birth_date.isoformat()
    request.phone = data.phone.strip()
    request.email = data.email.strip()
    request.address = data.address.strip()
    request.helper = data.helper.strip()
    request.criteria_text = ",".join(c for c in DECLARED_CRITERIA if c in set(data.criteria))
    request.preferred_communes = list(dict.fromkeys(c for c in data.preferred_communes if c))
    request.commune = data.commune
    request.contact_by = data.contact_by
    request.identity_index = crypto.identity_index(data.last_name, data.first_name, request.birth_date_text)
    request.priority = priority_on(request, weights, timezone.localdate())


def _flag_duplicate(request: PatientRequest) -> None:
    request.possible_duplicate_of = (
        PatientRequest.objects.filter(identity_index=request.identity_index, anonymised_at__isnull=True)
        .exclude(pk=request.pk)
        .order_by("created_at", "pk")
        .first()
    )


def submit_public_request(*, data: RequestData, consent: bool, client_ip: str) -> PatientRequest:
    """A request from the public form. Raises DeskDisabled (module off), ValidationError
    (no consent, commune outside the territory) or tenants.rate_limit.RateLimited."""
    if not is_enabled():
        raise DeskDisabled(_("Le module d'accès aux soins n'est pas activé pour cette CPTS."))
    if not consent:
        raise ValidationError(
            {"consent": _("Votre accord est nécessaire pour que nous traitions la demande.")}
        )
    check_in_territory(data.commune)
    rate_limit.hit("access_care:request", client_ip, limit=REQUEST_RATE_LIMIT, window=REQUEST_RATE_WINDOW)
    weights = get_desk_settings().weights
    with transaction.atomic():
        request = PatientRequest(channel=PatientRequest.Channel.WEB, consent_at=timezone.now())
        _fill(request, data, weights)
        _flag_duplicate(request)
        request.save()
        StatusChange.objects.create(request=request, to_status=Status.NEW)
        log_access(
            actor=None, action="create", request_id=request.pk, detail="formulaire public", ip=client_ip
        )
        enqueue_on_commit("access_care.notify_new_request", connection.schema_name, request.pk)
    return request


def record_request(*, actor, data: RequestData, channel: str, consent: bool, ip: str = "") -> PatientRequest:
    """A request the team takes by phone or at a desk (the person's oral consent is recorded)."""
    require_desk(actor)
    if not consent:
        raise ValidationError(
            {"consent": _("Recueillez l'accord de la personne avant d'enregistrer la demande.")}
        )
    check_in_territory(data.commune)
    weights = get_desk_settings().weights
    with transaction.atomic():
        request = PatientRequest(channel=channel, consent_at=timezone.now(), created_by=actor)
        _fill(request, data, weights)
        request.notes = data.notes.strip()
        _flag_duplicate(request)
        request.save()
        StatusChange.objects.create(request=request, to_status=Status.NEW, by=actor)
        log_access(actor=actor, action="create", request_id=request.pk, detail=channel, ip=ip)
    return request


def update_request(*, actor, request: PatientRequest, data: RequestData, ip: str = "") -> PatientRequest:
    """The team corrects or completes a request; priority and duplicate flag follow."""
    require_desk(actor)
    if request.anonymised_at:
        raise ValidationError(_("Cette demande a été anonymisée."))
    with transaction.atomic():
        request = PatientRequest.objects.select_for_update().get(pk=request.pk)
        _fill(request, data, get_desk_settings().weights)
        request.notes = data.notes.strip()
        _flag_duplicate(request)
        request.save()
        log_access(actor=actor, action="update", request_id=request.pk, ip=ip)
    return request


def _move(request: PatientRequest, to_status: str, by) -> None:
    now = timezone.now()
    StatusChange.objects.create(
        request=request, from_status=request.status, to_status=to_status, by=by, at=now
    )
    request.status = to_status
    request.status_changed_at = now
    if to_status in PatientRequest.ENDED_STATUSES:
        request.closed_at = request.closed_at or now
    else:
        request.closed_at = None


def change_status(
    *, actor, request: PatientRequest, to_status: str, close_reason: str = "", ip: str = ""
) -> PatientRequest:
    """Move a request along the queue (TRANSITIONS); refused in French otherwise."""
    require_desk(actor)
    with transaction.atomic():
        request = PatientRequest.objects.select_for_update().get(pk=request.pk)
        if to_status not in TRANSITIONS.get(request.status, set()):
            raise ValidationError(
                _("Une demande « %(current)s » ne peut pas passer à « %(target)s ».")
                % {"current": request.get_status_display(), "target": Status(to_status).label}
            )
        if to_status == Status.CLOSED and close_reason not in PatientRequest.CloseReason.values:
            if request.status != Status.ACCEPTED:
                raise ValidationError({"close_reason": _("Indiquez pourquoi la demande est close.")})
        _move(request, to_status, actor)
        if to_status == Status.CLOSED:
            request.close_reason = close_reason
        if to_status != Status.PROPOSED:
            request.proposals.filter(status=Proposal.Status.SENT).update(
                status=Proposal.Status.WITHDRAWN, answered_at=timezone.now()
            )
        request.save()
        log_access(actor=actor, action="status", request_id=request.pk, detail=to_status, ip=ip)
    return request


# --- GP capacity and proposals -------------------------------------------------------------------


def quarter_of(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def is_gp(user) -> bool:
    profile = getattr(user, "professional_profile", None) if user is not None else None
    return profile is not None and profile.profession == "10"


def declare_capacity(
    *,
    actor,
    places: int,
    groups: list[str],
    communes: list[str],
    practice_commune: str,
    practice_name: str = "",
    practice_phone: str = "",
    today: date | None = None,
) -> GpCapacity:
    """A GP member declares this quarter's new-patient places (never below those already taken)."""
    require_role(actor, Role.MEMBER)
    if not is_gp(actor):
        raise PermissionDenied(_("Seuls les médecins membres déclarent des places de médecin traitant."))
    quarter = quarter_of(today or timezone.localdate())
    with transaction.atomic():
        capacity, _created = GpCapacity.objects.select_for_update().get_or_create(gp=actor, quarter=quarter)
        if places < capacity.taken:
            raise ValidationError(
                {
                    "places": _("Vous avez déjà accepté %(taken)s patients ce trimestre.")
                    % {"taken": capacity.taken}
                }
            )
        capacity.places = places
        capacity.groups = list(dict.fromkeys(groups))
        capacity.communes = list(dict.fromkeys(c for c in communes if c))
        capacity.practice_commune = practice_commune
        capacity.practice_name = practice_name.strip()
        capacity.practice_phone = practice_phone.strip()
        capacity.save()
    return capacity


def propose(*, actor, request: PatientRequest, gp, ip: str = "") -> Proposal:
    """Send a request to a GP who has places left this quarter; the GP gets an e-mail with a
    link to their member space (no patient data in it)."""
    require_desk(actor)
    quarter = quarter_of(timezone.localdate())
    with transaction.atomic():
        request = PatientRequest.objects.select_for_update().get(pk=request.pk)
        if request.status not in (Status.NEW, Status.QUALIFIED, Status.PROPOSED):
            raise ValidationError(_("Cette demande n'attend plus de proposition."))
        capacity = GpCapacity.objects.filter(gp=gp, quarter=quarter).first()
        if capacity is None or capacity.left <= 0:
            raise ValidationError(_("Ce médecin n'a plus de place déclarée ce trimestre."))
        if Proposal.objects.filter(request=request, gp=gp).exists():
            raise ValidationError(_("Cette demande a déjà été proposée à ce médecin."))
        proposal = Proposal.objects.create(request=request, gp=gp, created_by=actor)
        if request.status != Status.PROPOSED:
            _move(request, Status.PROPOSED, actor)
            request.save()
        log_access(actor=actor, action="propose", request_id=request.pk, detail=f"gp {gp.pk}", ip=ip)
        enqueue_on_commit("access_care.notify_gp", connection.schema_name, proposal.pk)
    return proposal


GP_IDENTITY_DAYS = 30


def gp_sees_identity(proposal: Proposal, *, now=None) -> bool:
    """Whether the GP of ``proposal`` is shown the patient's name and contact details: once they
    accepted, for ``GP_IDENTITY_DAYS`` days (time to arrange the first visit; the patient is then
    in the GP's own records), never after the request is anonymised."""
    if proposal.status != Proposal.Status.ACCEPTED or proposal.request.anonymised_at is not None:
        return False
    answered = proposal.answered_at or proposal.created_at
    return (now or timezone.now()) - answered <= timedelta(days=GP_IDENTITY_DAYS)


def answer_proposal(*, actor, proposal: Proposal, accept: bool, ip: str = "") -> Proposal:
    """The GP accepts (takes one place of this quarter, under the capacity row's lock, so two
    answers never take the last place twice) or declines. Raises ValidationError in French."""
    require_role(actor, Role.MEMBER)
    quarter = quarter_of(timezone.localdate())
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().filter(pk=proposal.pk, gp=actor).first()
        if proposal is None:
            raise PermissionDenied(_("Cette proposition ne vous est pas adressée."))
        if proposal.status != Proposal.Status.SENT:
            raise ValidationError(_("Vous avez déjà répondu à cette proposition, ou elle a été retirée."))
        request = PatientRequest.objects.select_for_update().get(pk=proposal.request_id)
        now = timezone.now()
        if accept:
            capacity = GpCapacity.objects.select_for_update().filter(gp=actor, quarter=quarter).first()
            if capacity is None or capacity.left <= 0:
                raise ValidationError(_("Vous n'avez plus de place déclarée ce trimestre."))
            capacity.taken += 1
            capacity.save(update_fields=["taken", "updated_at"])
            proposal.status = Proposal.Status.ACCEPTED
            _move(request, Status.ACCEPTED, actor)
            request.found_at = now
            request.found_gp = actor
            request.proposals.exclude(pk=proposal.pk).filter(status=Proposal.Status.SENT).update(
                status=Proposal.Status.WITHDRAWN, answered_at=now
            )
            enqueue_on_commit("access_care.notify_patient", connection.schema_name, request.pk)
        else:
            proposal.status = Proposal.Status.DECLINED
            others = request.proposals.exclude(pk=proposal.pk).filter(status=Proposal.Status.SENT).exists()
            if request.status == Status.PROPOSED and not others:
                _move(request, Status.QUALIFIED, actor)
        proposal.answered_at = now
        proposal.save()
        request.save()
        log_access(actor=actor, action="accept" if accept else "decline", request_id=request.pk, ip=ip)
        enqueue_on_commit("access_care.notify_team_answer", connection.schema_name, proposal.pk)
    return proposal


# --- Retention, export, erasure, rotation ----------------------------------------------------------

ERASED_FIELDS = (
    "last_name",
    "first_name",
    "birth_date_text",
    "phone",
    "email",
    "address",
    "helper",
    "criteria_text",
    "notes",
)


def _anonymise(request: PatientRequest, now) -> None:
    # The public mail log must not keep the patient's address after their request is forgotten.
    forget_recipients(schema=connection.schema_name, keys=[f"access_care.patient_found:{request.pk}"])
    request.anonymous_groups = request.groups(request.created_at.date())
    for name in ERASED_FIELDS:
        setattr(request, name, "")
    request.identity_index = ""
    request.preferred_communes = []
    request.anonymised_at = now


def anonymise_due(*, today: date | None = None) -> int:
    """Anonymise the requests ended longer ago than the CPTS's retention delay. Runs twice, acts
    once (rows already anonymised are skipped; each row is claimed under its lock)."""
    months = get_desk_settings().retention_months
    today = today or timezone.localdate()
    limit = start_of(today - relativedelta(months=months))
    count = 0
    due = PatientRequest.objects.filter(
        status__in=PatientRequest.ENDED_STATUSES, closed_at__lt=limit, anonymised_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            request = (
                PatientRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, anonymised_at__isnull=True)
                .first()
            )
            if request is None:
                continue
            _anonymise(request, timezone.now())
            request.save()
            log_access(actor=None, action="anonymise", request_id=pk, detail=f"après {months} mois")
            count += 1
    return count


def erase_request(*, actor, request: PatientRequest, ip: str = "") -> PatientRequest:
    """The person asked for erasure: identity and situation are wiped now (the request is closed;
    aggregates keep counting it)."""
    require_desk(actor)
    with transaction.atomic():
        request = PatientRequest.objects.select_for_update().get(pk=request.pk)
        if request.status not in PatientRequest.ENDED_STATUSES:
            _move(request, Status.CLOSED, actor)
            request.close_reason = PatientRequest.CloseReason.WITHDREW
        request.proposals.filter(status=Proposal.Status.SENT).update(
            status=Proposal.Status.WITHDRAWN, answered_at=timezone.now()
        )
        _anonymise(request, timezone.now())
        request.save()
        log_access(actor=actor, action="erase", request_id=request.pk, ip=ip)
    return request


def export_request(*, actor, request: PatientRequest, ip: str = "") -> dict:
    """Everything the desk holds about the person (right of access), as plain data."""
    require_desk(actor)
    with transaction.atomic():
        log_access(actor=actor, action="export", request_id=request.pk, ip=ip)
        record(actor, "desk.request_exported", None, request=request.pk)
    return {
        "demande": request.pk,
        "recue_le": request.created_at.isoformat(),
        "statut": request.get_status_display(),
        "nom": request.last_name,
        "prenom": request.first_name,
        "date_de_naissance": request.birth_date_text,
        "telephone": request.phone,
        "email": request.email,
        "adresse": request.address,
        "demande_faite_par": request.helper,
        "criteres": request.criteria,
        "commune": request.commune,
        "communes_souhaitees": request.preferred_communes,
        "notes": request.notes,
        "historique": [
            {"de": c.from_status, "vers": c.to_status, "le": c.at.isoformat()} for c in request.changes.all()
        ],
        "propositions": [
            {"statut": p.get_status_display(), "le": p.created_at.isoformat()}
            for p in request.proposals.all()
        ],
    }


def reencrypt_all(*, rebuild_index: bool = False, batch_size: int = 500) -> int:
    """Rewrite every encrypted value not written by the current key (after a rotation), with the
    duplicate index recomputed; ``rebuild_index`` rewrites every row (after a new index key).
    Returns the rows rewritten."""
    current = crypto.keyring().current_id
    table = PatientRequest._meta.db_table
    columns = [PatientRequest._meta.get_field(name).column for name in ERASED_FIELDS]
    stale: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(columns)} FROM {table}")  # noqa: S608
        for row in cursor.fetchall():
            if rebuild_index or any(value and crypto.key_id_of(value) != current for value in row[1:]):
                stale.append(row[0])
    for start in range(0, len(stale), batch_size):
        with transaction.atomic():
            requests = list(
                PatientRequest.objects.select_for_update().filter(pk__in=stale[start : start + batch_size])
            )
            for request in requests:
                if request.anonymised_at is None:
                    request.identity_index = crypto.identity_index(
                        request.last_name, request.first_name, request.birth_date_text
                    )
            PatientRequest.objects.bulk_update(requests, [*ERASED_FIELDS, "identity_index"])
    return len(stale)


LETTER_VARIABLES = ("prenom", "nom", "medecin", "cabinet", "telephone", "cpts")
# The subject is kept in the platform's mail log: it never names the patient.
SUBJECT_VARIABLES = ("medecin", "cabinet", "telephone", "cpts")


class _LetterFormatter(string.Formatter):
    """``{name}`` replaced by its value; an unknown name, an attribute or an index left as typed,
    so a template saved before its check cannot stop a patient's message."""

    def get_value(self, key, args, kwargs):
        return kwargs.get(key, "{" + key + "}")

    def get_field(self, field_name, args, kwargs):
        if field_name not in kwargs:
            return "{" + field_name + "}", field_name
        return kwargs[field_name], field_name


def template_errors(text: str, allowed: tuple[str, ...]) -> list[str]:
    """French reasons why ``text`` is not a valid letter template using ``allowed`` variables."""
    try:
        fields = [name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return [_("Accolade isolée : écrivez les variables entre { et }, par exemple {medecin}.")]
    unknown = sorted({name for name in fields if name not in allowed})
    if unknown:
        return [
            _("Variable non permise ici : %(names)s. Variables possibles : %(allowed)s.")
            % {
                "names": ", ".join("{" + name + "}" for name in unknown),
                "allowed": " ".join("{" + name + "}" for name in allowed),
            }
        ]
    return []


def fill_template(text: str, values: dict) -> str:
    try:
        return _LetterFormatter().format(text, **values)
    except ValueError:  # a lone brace in an old template: shown as typed
        return text


# ``{cpts}`` is the name with its article (« la CPTS du Val de Morelle »); templates saved when it
# was the bare name wrote the article before it, which would now read twice.
_ARTICLE_BEFORE_CPTS = re.compile(r"\b(?:(la|La) )?CPTS \{cpts\}")


def _cpts_with_its_article(text: str) -> str:
    return _ARTICLE_BEFORE_CPTS.sub(lambda m: "{Cpts}" if m.group(1) == "La" else "{cpts}", text)


def patient_message(request: PatientRequest) -> dict:
    """Subject and body of the message telling the patient which GP accepted them (the CPTS's
    own template, DeskSettings), for the e-mail and the printable letter. ``{cpts}`` reads
    « la CPTS du Val de Morelle » (Community.designation)."""
    row = get_desk_settings()
    gp = request.found_gp
    capacity = GpCapacity.objects.filter(gp=gp).order_by("-quarter").first() if gp else None
    community = current_community()
    designation = community.designation
    values = {
        "prenom": request.first_name,
        "nom": request.last_name,
        "medecin": (gp.get_full_name() or gp.email) if gp else "",
        "cabinet": capacity.practice_name if capacity else "",
        "telephone": capacity.practice_phone if capacity else "",
        "cpts": designation,
        "Cpts": designation[:1].upper() + designation[1:],
    }
    return {
        "subject": fill_template(_cpts_with_its_article(row.letter_subject), values),
        "body": fill_template(_cpts_with_its_article(row.letter_body), values),
        "patient": request,
        "community": community,
        "today": timezone.localdate(),
    }
