"""Reads of the current CPTS's ACI contract, budget and indicators. Assumes the connection is set
to the CPTS's schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from apps.territory import selectors as territory

from .indicators import compute_value
from .models import (
    AciPayment,
    AnnualReport,
    Contract,
    ContractMission,
    Envelope,
    FundingLine,
    GridAmount,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    ReferenceGrid,
    Spending,
)

ZERO = Decimal("0.00")


def get_contract() -> Contract | None:
    """The contract in force: the most recently signed."""
    return Contract.objects.select_related("grid").order_by("-signed_on", "-pk").first()


def territory_size(community) -> int | None:
    """The ACI size of the territory: the territory app's override or the size computed from the
    population of the communes picked, else the size recorded on the CPTS at its opening."""
    override = territory.get_settings().aci_size_override
    _communes, inhabitants = territory.population_of(territory.list_territory_communes())
    size = override or territory.compute_aci_size(inhabitants)
    if size:
        return int(size)
    return getattr(community, "aci_size", None)


def contract_size(contract: Contract | None, community) -> int | None:
    """The size used for the contract: the one written in it, else the territory's."""
    if contract is not None and contract.size_override:
        return contract.size_override
    return territory_size(community)


def list_grids() -> QuerySet[ReferenceGrid]:
    return ReferenceGrid.objects.order_by("-valid_from", "code")


def grid_for(signed_on: date) -> ReferenceGrid | None:
    """The reference grid applicable on ``signed_on`` (the latest one already in force), else the oldest."""
    return (
        ReferenceGrid.objects.filter(valid_from__lte=signed_on).order_by("-valid_from").first()
        or ReferenceGrid.objects.order_by("valid_from").first()
    )


def list_contract_missions(contract: Contract) -> list[ContractMission]:
    return list(ContractMission.objects.filter(contract=contract).select_related("contract").order_by("pk"))


@dataclass
class EnvelopeBudget:
    envelope: str
    label: str
    reference: Decimal = ZERO
    contracted: Decimal = ZERO
    received: Decimal = ZERO
    spent: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        """Left to spend of what was contracted for the year."""
        return self.contracted - self.spent

    @property
    def cash(self) -> Decimal:
        """Received but not yet spent."""
        return self.received - self.spent


@dataclass
class BudgetOverview:
    year: int
    rows: list[EnvelopeBudget] = field(default_factory=list)

    def total(self, attribute: str) -> Decimal:
        return sum((getattr(row, attribute) for row in self.rows), ZERO)


def budget_overview(contract: Contract | None, year: int, *, size: int | None = None) -> BudgetOverview:
    """Per envelope (operating, then each mission): grid reference, contracted, received, spent for
    ``year``. Four grouped queries whatever the volume."""
    rows = {value: EnvelopeBudget(envelope=value, label=str(label)) for value, label in Envelope.choices}
    if contract is not None:
        for row in (
            FundingLine.objects.filter(contract=contract, year=year)
            .values("envelope")
            .annotate(total=Sum("contracted_amount"))
        ):
            rows[row["envelope"]].contracted = row["total"]
        for row in (
            AciPayment.objects.filter(contract=contract, received_on__year=year)
            .values("envelope")
            .annotate(total=Sum("amount"))
        ):
            rows[row["envelope"]].received = row["total"]
        if size:
            for row in (
                GridAmount.objects.filter(grid_id=contract.grid_id, size=size)
                .values("envelope")
                .annotate(total=Sum("annual_amount"))
            ):
                rows[row["envelope"]].reference = row["total"]
    for row in Spending.objects.filter(spent_on__year=year).values("envelope").annotate(total=Sum("amount")):
        rows[row["envelope"]].spent = row["total"]
    return BudgetOverview(year=year, rows=list(rows.values()))


def list_spending(year: int) -> QuerySet[Spending]:
    return Spending.objects.filter(spent_on__year=year).order_by("-spent_on", "-pk")


def list_payments(contract: Contract, year: int) -> QuerySet[AciPayment]:
    return AciPayment.objects.filter(contract=contract, received_on__year=year).order_by(
        "-received_on", "-pk"
    )


def list_funding_lines(contract: Contract, year: int) -> QuerySet[FundingLine]:
    return FundingLine.objects.filter(contract=contract, year=year).order_by("envelope", "part")


@dataclass
class IndicatorProgress:
    indicator: Indicator
    year: int
    target: Decimal | None
    value: Decimal | None
    history: list[tuple[int, Decimal | None, Decimal | None]]  # (year, value, target)

    @property
    def ratio(self) -> float | None:
        if self.target in (None, ZERO) or self.value is None:
            return None
        baseline = self.indicator.baseline or ZERO
        span = self.target - baseline
        if span == 0:
            return 1.0 if self.value >= self.target else 0.0
        return float((self.value - baseline) / span)


def year_value(indicator: Indicator, values: list[IndicatorValue], year: int) -> Decimal | None:
    """An indicator's figure for ``year`` from its period values (periods ending in that year):
    their sum, or the last one for stock indicators (``aggregation == "last"``). A computed
    indicator counts only its computed rows (values typed before it became computed are ignored)."""
    in_year = sorted(
        (v for v in values if v.period_end.year == year and (v.computed or not indicator.is_computed)),
        key=lambda v: (v.period_end, v.period_start),
    )
    if not in_year:
        return None
    if indicator.aggregation == "last":
        return in_year[-1].value
    return sum((v.value for v in in_year), ZERO)


def live_values(indicators: list[Indicator], year: int) -> dict[int, Decimal]:
    """The figures of the platform-computed indicators for the running ``year``, computed now from
    the platform's rows (each source once), without writing: the stored yearly row is refreshed
    only by the report and the « Recalculer » button, so it lags behind what happened since.
    Empty for any other year (closed years keep their stored figures)."""
    today = timezone.localdate()
    if year != today.year:
        return {}
    figures: dict[str, Decimal] = {}
    values = {}
    for indicator in indicators:
        if not indicator.is_computed:
            continue
        if indicator.source not in figures:
            figures[indicator.source] = compute_value(indicator.source, date(year, 1, 1), today)
        values[indicator.pk] = figures[indicator.source]
    return values


def list_indicator_progress(
    year: int, *, years: range | None = None, live: bool = False
) -> list[IndicatorProgress]:
    """Every indicator with its target and value for ``year`` and a per-year history: 3 queries.
    ``live``: the platform-computed indicators of the running year are computed now
    (``live_values``) instead of read from their stored row."""
    years = years or range(year - 4, year + 1)
    indicators = list(Indicator.objects.order_by("position", "pk"))
    targets: dict[int, dict[int, Decimal]] = {}
    for target in IndicatorTarget.objects.filter(indicator__in=indicators):
        targets.setdefault(target.indicator_id, {})[target.year] = target.target
    values: dict[int, list[IndicatorValue]] = {}
    for value in IndicatorValue.objects.filter(indicator__in=indicators, period_end__year__in=list(years)):
        values.setdefault(value.indicator_id, []).append(value)
    this_year = timezone.localdate().year
    current = live_values(indicators, this_year) if live else {}
    progress = []
    for indicator in indicators:
        mine, goals = values.get(indicator.pk, []), targets.get(indicator.pk, {})
        figure = {y: year_value(indicator, mine, y) for y in years}
        if indicator.pk in current:
            figure[this_year] = current[indicator.pk]
        progress.append(
            IndicatorProgress(
                indicator=indicator,
                year=year,
                target=goals.get(year),
                value=figure[year] if year in figure else year_value(indicator, mine, year),
                history=[(y, figure[y], goals.get(y)) for y in years],
            )
        )
    return progress


def get_indicator(indicator_id: int) -> Indicator | None:
    return Indicator.objects.filter(pk=indicator_id).first()


def list_values(indicator: Indicator) -> QuerySet[IndicatorValue]:
    return (
        IndicatorValue.objects.filter(indicator=indicator)
        .select_related("entered_by")
        .order_by("-period_end")
    )


def latest_activity_year() -> int | None:
    """The latest civil year, up to this one, with something a report would show: money
    contracted, received or spent, or an indicator value. None when nothing is recorded."""
    this_year = timezone.localdate().year
    candidates = [
        FundingLine.objects.filter(year__lte=this_year).aggregate(latest=Max("year"))["latest"],
        AciPayment.objects.filter(received_on__year__lte=this_year).aggregate(latest=Max("received_on"))[
            "latest"
        ],
        Spending.objects.filter(spent_on__year__lte=this_year).aggregate(latest=Max("spent_on"))["latest"],
        IndicatorValue.objects.filter(period_start__year__lte=this_year).aggregate(
            latest=Max("period_start")
        )["latest"],
    ]
    years = [value if isinstance(value, int) else value.year for value in candidates if value is not None]
    return max(years, default=None)


def list_reports() -> QuerySet[AnnualReport]:
    return AnnualReport.objects.select_related("requested_by").order_by("-requested_at", "-pk")[:10]
