"""Reads of the médecin-traitant desk. Every function assumes the connection is set to the CPTS's
schema. Pages that show patient requests log each read themselves (``services.log_reads``);
the indicator functions return aggregates only."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.audit.log import record
from apps.geo.selectors import centres_of, distance_km
from apps.members.models import Membership

from .models import PRIORITY_GROUPS, AccessLog, DeskPermission, GpCapacity, PatientRequest, Proposal
from .services import log_access, quarter_of, require_desk

Status = PatientRequest.Status


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    commune: str = ""
    priority_only: bool = False
    duplicates_only: bool = False


# What a queue row shows or needs: contact details and notes stay encrypted in the table, unread.
QUEUE_COLUMNS = (
    "status",
    "last_name",
    "first_name",
    "birth_date_text",
    "criteria_text",
    "commune",
    "priority",
    "possible_duplicate_of",
    "created_at",
)


def list_queue(filters: QueueFilters) -> QuerySet[PatientRequest]:
    """Requests of the triage queue, most urgent first (priority, then the longest wait). By
    default the open ones (new, qualified, proposed), served in that order by the partial index
    ``access_request_open_queue``. Only QUEUE_COLUMNS are loaded (and decrypted)."""
    queryset = PatientRequest.objects.filter(anonymised_at__isnull=True).only(*QUEUE_COLUMNS)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    else:
        queryset = queryset.filter(status__in=PatientRequest.OPEN_STATUSES)
    if filters.commune:
        queryset = queryset.filter(commune=filters.commune)
    if filters.priority_only:
        queryset = queryset.filter(priority__gt=0)
    if filters.duplicates_only:
        queryset = queryset.filter(possible_duplicate_of__isnull=False)
    return queryset.order_by("-priority", "created_at", "pk")


def get_request(pk: int) -> PatientRequest | None:
    return PatientRequest.objects.filter(pk=pk).first()


def open_request(actor, pk: int, *, action: str = "view", ip: str = "") -> PatientRequest | None:
    """A case opened to a team member: checks the actor (``services.require_desk``: raises
    DeskDisabled or PermissionDenied), then, when the request exists here, traces the read
    itself twice in one transaction: the desk's access-log row (``action``, ``ip``) and the audit
    line ``desk.accessed`` (docs/audit.md; the request by id only). None when there is no such
    request in this CPTS (nothing is written)."""
    require_desk(actor)
    found = get_request(pk)
    if found is None:
        return None
    with transaction.atomic():
        log_access(actor=actor, action=action, request_id=found.pk, ip=ip)
        record(actor, "desk.accessed", found, via=action)
    return found


def list_desk_users() -> list:
    """Team accounts of this CPTS, each with whether the admin opened the desk to them."""
    allowed = set(DeskPermission.objects.values_list("user_id", flat=True))
    staff = (
        Membership.objects.filter(is_active=True, role__in=["team", "admin"])
        .select_related("user")
        .order_by("user__last_name", "user__email")
    )
    return [(membership, membership.user_id in allowed) for membership in staff]


def list_access_log(*, request_id: int | None = None) -> QuerySet[AccessLog]:
    queryset = AccessLog.objects.all()
    if request_id:
        queryset = queryset.filter(request_id=request_id)
    return queryset


# --- GP capacity and proposals -------------------------------------------------------------------


def list_capacities(quarter: date | None = None) -> list[GpCapacity]:
    """This quarter's declarations of GP members in good standing or not (the team sees them all),
    largest number of places left first."""
    quarter = quarter or quarter_of(timezone.localdate())
    capacities = list(GpCapacity.objects.filter(quarter=quarter).select_related("gp"))
    capacities.sort(key=lambda c: (-c.left, c.gp.last_name, c.gp.email))
    return capacities


def get_capacity(gp, quarter: date | None = None) -> GpCapacity | None:
    return GpCapacity.objects.filter(gp=gp, quarter=quarter or quarter_of(timezone.localdate())).first()


@dataclass
class Candidate:
    capacity: GpCapacity
    distance_km: float | None
    fit: int
    reasons: list[str] = field(default_factory=list)

    @property
    def gp(self):
        return self.capacity.gp


# Fit scoring: each point is worth this many kilometres in the ranking.
FIT_KM = 10.0
# Points a request's own wishes can add on top of the commune points (preferred commune, group).
WISH_POINTS = 2
UNKNOWN_KM = 1e6


@dataclass(frozen=True)
class _Base:
    """A GP seen from one commune of residence: what does not depend on the person."""

    key: float
    left: int
    capacity: GpCapacity
    distance: float | None
    covered: bool
    places_at: frozenset


def _bases_for(commune: str, capacities: list[GpCapacity], centres) -> list[_Base]:
    here = centres.get(commune)
    bases = []
    for capacity in capacities:
        there = centres.get(capacity.practice_commune)
        if commune and commune == capacity.practice_commune:
            distance: float | None = 0.0
        elif here is not None and there is not None:
            distance = round(distance_km(here, there), 1)
        else:
            distance = None
        covered = commune in capacity.communes or commune == capacity.practice_commune
        key = (distance if distance is not None else UNKNOWN_KM) - FIT_KM * (2 if covered else 0)
        bases.append(
            _Base(
                key,
                capacity.left,
                capacity,
                distance,
                covered,
                frozenset({capacity.practice_commune, *capacity.communes}),
            )
        )
    bases.sort(key=lambda b: (b.key, -b.left, b.capacity.gp_id))
    return bases


def _candidate(base: _Base, preferred: set[str], groups: set[str]) -> Candidate:
    reasons, fit = [], 0
    if base.covered:
        fit += 2
        reasons.append("commune couverte")
    if preferred & base.places_at:
        fit += 1
        reasons.append("commune souhaitée")
    if base.capacity.groups and groups & set(base.capacity.groups):
        fit += 1
        reasons.append("public prioritaire accepté")
    return Candidate(capacity=base.capacity, distance_km=base.distance, fit=fit, reasons=reasons)


def _rank_key(candidate: Candidate):
    # Unknown distances after known ones; fit counts as FIT_KM km each; more places left first.
    distance = candidate.distance_km if candidate.distance_km is not None else UNKNOWN_KM
    return (distance - FIT_KM * candidate.fit, -candidate.capacity.left, candidate.capacity.gp_id)


def rank_gps_for(
    requests: list[PatientRequest], *, limit: int = 5, today: date | None = None
) -> dict[int, list[Candidate]]:
    """For each request, the GPs with places left this quarter, best first: nearest (commune
    centres), then fit (commune covered, preferred commune, priority group accepted), then places
    left. GPs the request was already proposed to are left out. Capacities, centres and proposals
    are loaded once; the GPs are sorted once per commune of residence, and each request walks that
    order only until no remaining GP could still enter its top ``limit`` (its own wishes can gain
    a GP at most WISH_POINTS × FIT_KM)."""
    today = today or timezone.localdate()
    capacities = [
        c for c in GpCapacity.objects.filter(quarter=quarter_of(today)).select_related("gp") if c.left > 0
    ]
    codes = {c.practice_commune for c in capacities} | {r.commune for r in requests}
    centres = centres_of(codes)
    already: dict[int, set[int]] = {}
    for request_id, gp_id in Proposal.objects.filter(request__in=[r.pk for r in requests]).values_list(
        "request_id", "gp_id"
    ):
        already.setdefault(request_id, set()).add(gp_id)
    by_commune: dict[str, list[_Base]] = {}
    result: dict[int, list[Candidate]] = {}
    for request in requests:
        bases = by_commune.get(request.commune)
        if bases is None:
            bases = by_commune[request.commune] = _bases_for(request.commune, capacities, centres)
        preferred, groups = set(request.preferred_communes), set(request.groups(today))
        skip = already.get(request.pk, set())
        best: list[Candidate] = []
        for base in bases:
            if len(best) >= limit and base.key - WISH_POINTS * FIT_KM > _rank_key(best[-1])[0]:
                break
            if base.capacity.gp_id in skip:
                continue
            best.append(_candidate(base, preferred, groups))
            best.sort(key=_rank_key)
            del best[limit:]
        result[request.pk] = best
    return result


def list_gp_proposals(gp) -> QuerySet[Proposal]:
    return Proposal.objects.filter(gp=gp).select_related("request").order_by("-created_at")


def get_gp_proposal(gp, pk: int) -> Proposal | None:
    return Proposal.objects.filter(gp=gp, pk=pk).select_related("request").first()


def list_gps() -> QuerySet:
    """Accounts of active members whose professional profile says médecin."""
    return get_user_model().objects.filter(
        pk__in=Membership.objects.filter(is_active=True).values("user_id"),
        professional_profile__profession="10",
    )


# --- Indicators (aggregates only) ------------------------------------------------------------------


def count_received(since: datetime, until: datetime) -> int:
    return PatientRequest.objects.filter(created_at__gte=since, created_at__lt=until).count()


def _found(since: datetime, until: datetime) -> QuerySet[PatientRequest]:
    return PatientRequest.objects.filter(found_at__gte=since, found_at__lt=until)


def count_found(since: datetime, until: datetime, *, group: str = "", priority: bool = False) -> int:
    """Patients who found a médecin traitant through the desk in [since, until): all of them, those
    of one priority group (``group``) or of any national priority group (``priority``)."""
    if not group and not priority:
        return _found(since, until).count()
    wanted = {group} if group else {g.value for g in PRIORITY_GROUPS}
    count = 0
    for request in _found(since, until).only(
        "criteria_text", "birth_date_text", "created_at", "anonymised_at", "anonymous_groups"
    ):
        groups = (
            request.anonymous_groups if request.anonymised_at else request.groups(request.created_at.date())
        )
        if wanted & set(groups):
            count += 1
    return count


def median_days_waited(since: datetime, until: datetime) -> float | None:
    """Median days from the request to the GP's acceptance, over those found in [since, until)."""
    waits = [
        (found - created).total_seconds() / 86400
        for created, found in _found(since, until).values_list("created_at", "found_at")
    ]
    return round(statistics.median(waits), 1) if waits else None


def count_pending(until: datetime) -> int:
    """Requests received before ``until`` and still open at that moment."""
    return (
        PatientRequest.objects.filter(created_at__lt=until)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=until))
        .count()
    )


def desk_summary(since: datetime, until: datetime) -> dict:
    """The desk's figures over a period, for the team's dashboard and the annual report."""
    return {
        "received": count_received(since, until),
        "found": count_found(since, until),
        "found_priority": count_found(since, until, priority=True),
        "found_by_group": {g.value: count_found(since, until, group=g.value) for g in PRIORITY_GROUPS},
        "median_days": median_days_waited(since, until),
        "pending": count_pending(until),
    }
