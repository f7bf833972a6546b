"""The figures of the team dashboard, read through each app's own selectors (nothing here
recomputes a rule another app owns: « à jour » is ``apps.members.standing``, dues figures are
``apps.dues.selectors.year_figures``). Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from apps.aci.selectors import get_contract, list_contract_missions, list_indicator_progress
from apps.directory.selectors import list_pending_requests
from apps.dues.calendar import paris_today
from apps.dues.selectors import year_figures
from apps.events.models import Event, Registration
from apps.events.selectors import with_counts
from apps.members.models import Membership
from apps.members.standing import Standing, standings_of
from apps.payments.models import Payment
from apps.site.selectors import count_unhandled_messages
from apps.site.templatetags.formatting import format_euros

# ACI deadlines shown when they fall within this many days (or are already past).
DEADLINE_HORIZON_DAYS = 120


@dataclass
class Bar:
    label: str
    value: float
    display: str
    tone: str = "brand"

    def width(self, top: float) -> float:
        """Length of the bar out of 100 (a zero bar keeps a sliver so the axis reads)."""
        return 100 * self.value / top if top else 0


@dataclass
class BarChart:
    """A horizontal bar chart drawn as SVG by templates/dashboard/_bars.html."""

    title: str
    bars: list[Bar]

    @property
    def top(self) -> float:
        return max((bar.value for bar in self.bars), default=0) or 1

    @property
    def rows(self) -> list[tuple[Bar, float, int]]:
        return [(bar, bar.width(self.top), index * 34) for index, bar in enumerate(self.bars)]

    @property
    def height(self) -> int:
        return 34 * len(self.bars)


@dataclass
class Deadline:
    label: str
    what: str
    due: date
    state: str
    late: bool


@dataclass
class Overview:
    year: int
    standing: dict[str, int]
    members_total: int
    members_chart: BarChart
    revenue: Decimal
    revenue_last: Decimal
    revenue_chart: BarChart
    dues_pending: int
    payments_pending: int
    payments_pending_amount: Decimal
    events: list = field(default_factory=list)
    registrations_upcoming: int = 0
    listing_requests: int = 0
    messages_waiting: int = 0
    deadlines: list[Deadline] = field(default_factory=list)
    indicators: list = field(default_factory=list)
    has_contract: bool = False


def standing_counts() -> tuple[dict[str, int], int]:
    """How many active memberships are à jour, candidates or lapsed today
    (``apps.members.standing.standings_of``: the rule stays there; two queries)."""
    counts = {value: 0 for value in Standing.values}
    memberships = list(Membership.objects.filter(is_active=True))
    for standing in standings_of(memberships).values():
        counts[standing] += 1
    return counts, len(memberships)


def _deadlines(today: date) -> tuple[list[Deadline], bool]:
    contract = get_contract()
    if contract is None:
        return [], False
    horizon = today + timedelta(days=DEADLINE_HORIZON_DAYS)
    found = []
    for mission in list_contract_missions(contract):
        state = mission.state(today)
        if state == "deployed":
            continue
        deadlines = mission.deadlines
        due, what = (
            (deadlines.start_by, "Démarrage")
            if state in ("upcoming", "late_start")
            else (deadlines.fully_deployed_by, "Déploiement complet")
        )
        if due <= horizon:
            found.append(Deadline(str(mission), what, due, state, due < today))
    found.sort(key=lambda d: d.due)
    return found, True


def overview(today: date | None = None) -> Overview:
    today = today or paris_today()
    year = today.year
    standing, total = standing_counts()
    this_year, last_year = year_figures(year), year_figures(year - 1)
    members_chart = BarChart(
        "Cotisations à jour",
        [
            Bar(str(year - 1), last_year.members_active, str(last_year.members_active), "muted"),
            Bar(str(year), this_year.members_active, str(this_year.members_active)),
        ],
    )
    revenue_chart = BarChart(
        "Cotisations encaissées",
        [
            Bar(str(year - 1), float(last_year.revenue), format_euros(last_year.revenue), "muted"),
            Bar(str(year), float(this_year.revenue), format_euros(this_year.revenue)),
        ],
    )
    pending = Payment.objects.filter(status=Payment.Status.PENDING).aggregate(
        count=Count("pk"), amount=Sum("amount")
    )
    now = timezone.now()
    events = list(
        with_counts(Event.objects.filter(ends_at__gte=now).exclude(status=Event.Status.CANCELLED)).order_by(
            "starts_at", "pk"
        )[:5]
    )
    registrations = Registration.objects.filter(
        event__ends_at__gte=now, status__in=Registration.SEATED
    ).count()
    deadlines, has_contract = _deadlines(today)
    # The cockpit's own reading: the running year's computed figures are counted now (live), not
    # the stored row the last recalculation left, so both pages give the same figure.
    indicators = [p for p in list_indicator_progress(year, live=True) if p.target is not None][:6]
    return Overview(
        year=year,
        standing=standing,
        members_total=total,
        members_chart=members_chart,
        revenue=this_year.revenue,
        revenue_last=last_year.revenue,
        revenue_chart=revenue_chart,
        dues_pending=this_year.members_pending,
        payments_pending=pending["count"] or 0,
        payments_pending_amount=pending["amount"] or Decimal("0"),
        events=events,
        registrations_upcoming=registrations,
        listing_requests=list_pending_requests().count(),
        messages_waiting=count_unhandled_messages(),
        deadlines=deadlines,
        indicators=indicators,
        has_contract=has_contract,
    )
