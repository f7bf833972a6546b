"""Writes on the ACI contract, budget and indicators. Assumes the connection is set to the CPTS's
schema. Every write is for the team (admin or team role)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.members.models import Role
from apps.members.permissions import require_role
from apps.missions import MissionKind
from tenants.queue import enqueue_on_commit

from . import reports
from .indicators import PERCENT_SOURCES, STOCK_SOURCES, compute_value
from .models import (
    AciPayment,
    AnnualReport,
    Contract,
    ContractMission,
    Evidence,
    FundingLine,
    GridAmount,
    GridMission,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    ReferenceGrid,
    Spending,
)


def _positive(amount: Decimal, field: str = "amount") -> None:
    if amount is None or amount < 0:
        raise ValidationError({field: _("Le montant doit être positif ou nul.")})


def create_contract(
    *,
    actor,
    signed_on: date,
    grid: ReferenceGrid,
    size_override: int | None = None,
    optional_missions=(),
    reference: str = "",
) -> Contract:
    """Record the signed contract; its missions (the grid's socles plus the optional ones chosen)
    get the grid's start/full-deployment delays, from which their deadlines are computed."""
    require_role(actor, Role.TEAM)
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("La date de signature ne peut pas être dans le futur.")})
    with transaction.atomic():
        contract = Contract.objects.create(
            signed_on=signed_on, grid=grid, size_override=size_override, reference=reference
        )
        for row in GridMission.objects.filter(grid=grid).order_by("pk"):
            if row.mandatory or row.mission in optional_missions:
                ContractMission.objects.create(
                    contract=contract,
                    mission=row.mission,
                    start_months=row.start_months,
                    full_months=row.full_months,
                )
    return contract


def update_contract(*, actor, contract: Contract, data: dict) -> Contract:
    require_role(actor, Role.TEAM)
    for field in ("signed_on", "size_override", "reference", "notes", "duration_years"):
        if field in data:
            setattr(contract, field, data[field])
    contract.save()
    return contract


def add_own_mission(
    *, actor, contract: Contract, label: str, start_months: int, full_months: int
) -> ContractMission:
    """A mission of the CPTS's own (not in the grid) with its own delays."""
    require_role(actor, Role.TEAM)
    if full_months < start_months:
        raise ValidationError({"full_months": _("Le déploiement complet ne peut précéder le démarrage.")})
    if ContractMission.objects.filter(contract=contract, mission=MissionKind.OWN).exists():
        raise ValidationError(_("Le contrat a déjà une mission propre."))
    return ContractMission.objects.create(
        contract=contract,
        mission=MissionKind.OWN,
        label=label,
        start_months=start_months,
        full_months=full_months,
    )


def update_mission(*, actor, mission: ContractMission, data: dict) -> ContractMission:
    """Record when a mission started / was fully deployed (or adjust its delays)."""
    require_role(actor, Role.TEAM)
    for field in ("started_on", "deployed_on", "start_months", "full_months", "label"):
        if field in data:
            setattr(mission, field, data[field])
    if mission.full_months < mission.start_months:
        raise ValidationError({"full_months": _("Le déploiement complet ne peut précéder le démarrage.")})
    if mission.started_on and mission.deployed_on and mission.deployed_on < mission.started_on:
        raise ValidationError({"deployed_on": _("Le déploiement ne peut précéder le démarrage.")})
    mission.save()
    return mission


def set_grid_amount(*, actor, grid_amount: GridAmount, annual_amount: Decimal) -> GridAmount:
    """Correct a reference amount (grids are data marked « à vérifier »)."""
    require_role(actor, Role.TEAM)
    _positive(annual_amount, "annual_amount")
    grid_amount.annual_amount = annual_amount
    grid_amount.save(update_fields=["annual_amount"])
    return grid_amount


def set_funding_line(
    *, actor, contract: Contract, year: int, envelope: str, part: str, contracted_amount: Decimal
) -> FundingLine:
    require_role(actor, Role.TEAM)
    _positive(contracted_amount, "contracted_amount")
    line, _created = FundingLine.objects.update_or_create(
        contract=contract,
        year=year,
        envelope=envelope,
        part=part,
        defaults={"contracted_amount": contracted_amount},
    )
    return line


def record_payment(
    *,
    actor,
    contract: Contract,
    received_on: date,
    amount: Decimal,
    envelope: str,
    part: str,
    label: str = "",
) -> AciPayment:
    require_role(actor, Role.TEAM)
    _positive(amount)
    return AciPayment.objects.create(
        contract=contract, received_on=received_on, amount=amount, envelope=envelope, part=part, label=label
    )


def record_spending(
    *, actor, spent_on: date, amount: Decimal, envelope: str, label: str, supplier: str = "", receipt=None
) -> Spending:
    """A spending charged to an envelope; the receipt file goes through default_storage."""
    require_role(actor, Role.TEAM)
    _positive(amount)
    return Spending.objects.create(
        spent_on=spent_on,
        amount=amount,
        envelope=envelope,
        label=label,
        supplier=supplier,
        receipt=receipt or "",
        recorded_by=actor,
    )


def delete_entry(*, actor, entry: FundingLine | AciPayment | Spending) -> None:
    """Remove a funding line, payment or spending entered by mistake (its receipt file too)."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        receipt = entry.receipt.name if isinstance(entry, Spending) and entry.receipt else ""
        entry.delete()
        if receipt:
            transaction.on_commit(lambda: default_storage.delete(receipt))


INDICATOR_FIELDS = (
    "label",
    "mission",
    "nature",
    "unit",
    "baseline",
    "source",
    "aggregation",
    "description",
    "position",
)


# The model's default unit: an indicator left on it is given the unit its platform source implies.
DEFAULT_UNIT = Indicator._meta.get_field("unit").default


def create_indicator(*, actor, data: dict) -> Indicator:
    require_role(actor, Role.TEAM)
    fields = {k: v for k, v in data.items() if k in INDICATOR_FIELDS}
    if fields.get("source") in STOCK_SOURCES:
        fields["aggregation"] = "last"
    if fields.get("source") in PERCENT_SOURCES and fields.get("unit", DEFAULT_UNIT) in ("", DEFAULT_UNIT):
        fields["unit"] = "%"
    return Indicator.objects.create(**fields)


def update_indicator(*, actor, indicator: Indicator, data: dict) -> Indicator:
    require_role(actor, Role.TEAM)
    for field, value in data.items():
        if field in INDICATOR_FIELDS:
            setattr(indicator, field, value)
    if indicator.source in STOCK_SOURCES:
        indicator.aggregation = "last"
    if indicator.source in PERCENT_SOURCES and indicator.unit in ("", DEFAULT_UNIT):
        indicator.unit = "%"
    indicator.save()
    return indicator


def set_target(*, actor, indicator: Indicator, year: int, target: Decimal) -> IndicatorTarget:
    require_role(actor, Role.TEAM)
    row, _created = IndicatorTarget.objects.update_or_create(
        indicator=indicator, year=year, defaults={"target": target}
    )
    return row


def record_value(
    *, actor, indicator: Indicator, period_start: date, period_end: date, value: Decimal, note: str = ""
) -> IndicatorValue:
    """Enter a value for a period (replaces the value of the same period). Computed indicators are
    refused: their values come from the platform's data."""
    require_role(actor, Role.TEAM)
    if indicator.is_computed:
        raise ValidationError(_("Cet indicateur est calculé par la plateforme : il ne se saisit pas."))
    if period_end < period_start:
        raise ValidationError({"period_end": _("La fin de période doit suivre son début.")})
    row, _created = IndicatorValue.objects.update_or_create(
        indicator=indicator,
        period_start=period_start,
        period_end=period_end,
        defaults={
            "value": value,
            "note": note,
            "entered_by": actor,
            "entered_at": timezone.now(),
            "computed": False,
        },
    )
    return row


def refresh_computed_values(*, year: int, today: date | None = None) -> int:
    """(Re)compute the yearly value of every platform-computed indicator for ``year`` (up to today
    for the current year): one row per indicator, replacing the previous one. Each platform source
    is computed once however many indicators use it. Returns rows written."""
    today = today or timezone.localdate()
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), today)
    if end < start:
        return 0
    indicators = list(Indicator.objects.exclude(source=Indicator.Source.MANUAL))
    if not indicators:
        return 0
    figures: dict[str, Decimal] = {}
    now = timezone.now()
    rows = []
    for indicator in indicators:
        if indicator.source not in figures:
            figures[indicator.source] = compute_value(indicator.source, start, end)
        rows.append(
            IndicatorValue(
                indicator=indicator,
                period_start=start,
                period_end=end,
                value=figures[indicator.source],
                computed=True,
                entered_at=now,
            )
        )
    with transaction.atomic():
        # The computed row of the year (its end moves forward while the year runs), and any row
        # of exactly this period left from when the indicator was entered by hand.
        IndicatorValue.objects.filter(
            Q(computed=True, period_start=start, period_end__year=year)
            | Q(period_start=start, period_end=end),
            indicator__in=indicators,
        ).delete()
        IndicatorValue.objects.bulk_create(rows)
    return len(rows)


def produce_report(year: int, *, community) -> tuple[bytes, bytes, bytes]:
    """Refresh the platform-computed indicators of ``year``, read the figures, render (PDF, CSV,
    XLSX). Reading happens in one transaction, after the refresh, so the files agree."""
    with transaction.atomic():
        refresh_computed_values(year=year)
        data = reports.build_report_data(year, community=community)
    return reports.render_pdf(data), reports.render_csv(data), reports.render_xlsx(data)


def attach_evidence(
    *, actor, indicator: Indicator, title: str, file, value: IndicatorValue | None = None
) -> Evidence:
    """Store an evidence file through default_storage (under the CPTS's own prefix)."""
    require_role(actor, Role.TEAM)
    if value is not None and value.indicator_id != indicator.pk:
        raise ValidationError(_("Cette valeur n'appartient pas à l'indicateur."))
    return Evidence.objects.create(
        indicator=indicator, value=value, title=title, file=file, uploaded_by=actor
    )


def request_annual_report(*, actor, year: int) -> AnnualReport:
    """Queue the build of the annual activity report for ``year`` (a worker builds PDF, CSV, XLSX)."""
    require_role(actor, Role.TEAM)
    if year < 2000 or year > timezone.localdate().year:
        raise ValidationError({"year": _("Choisissez une année écoulée ou l'année en cours.")})
    with transaction.atomic():
        report = AnnualReport.objects.create(year=year, requested_by=actor)
        enqueue_on_commit("aci.build_annual_report", connection.schema_name, report.pk)
    return report
