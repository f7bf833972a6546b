from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.form_errors import add_errors_to_form
from apps.members.models import Role
from apps.members.permissions import role_required
from tenants.storage import file_response

from . import charts, selectors, services
from .forms import (
    ContractForm,
    EvidenceForm,
    FundingLineForm,
    IndicatorForm,
    MissionForm,
    OwnMissionForm,
    PaymentForm,
    ReportForm,
    SpendingForm,
    TargetForm,
    ValueForm,
)
from .models import AciPayment, AnnualReport, ContractMission, Evidence, FundingLine, GridAmount, Spending

STATE_BADGES = {
    "deployed": _("Déployée"),
    "started": _("Démarrée"),
    "late_deployment": _("Déploiement en retard"),
    "late_start": _("Démarrage en retard"),
    "upcoming": _("À venir"),
}


def _year(request) -> int:
    raw = request.GET.get("annee", "")
    this_year = timezone.localdate().year
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= this_year + 1 else this_year


def _progress_cards(year: int):
    cards = []
    # Live: the figures the platform computes count what happened up to now (an acceptance at
    # the desk a minute ago), not what the last recalculation stored.
    for item in selectors.list_indicator_progress(year, live=True):
        label, unit = item.indicator.label, item.indicator.unit
        cards.append(
            {
                "item": item,
                "bar": charts.progress_bar(item.value, item.target, label=label, unit=unit),
                "history": charts.history_chart(item.history, label=label, unit=unit),
            }
        )
    return cards


@role_required(Role.TEAM)
def cockpit(request):
    year = _year(request)
    contract = selectors.get_contract()
    size = selectors.contract_size(contract, request.tenant)
    today = timezone.localdate()
    missions = []
    if contract:
        for mission in selectors.list_contract_missions(contract):
            state = mission.state(today)
            missions.append(
                {
                    "mission": mission,
                    "deadlines": mission.deadlines,
                    "state": state,
                    "label": STATE_BADGES[state],
                }
            )
    return render(
        request,
        "aci/cockpit.html",
        {
            "year": year,
            "contract": contract,
            "size": size,
            "missions": missions,
            "budget": selectors.budget_overview(contract, year, size=size),
            "cards": _progress_cards(year),
            **_reports_context(),
            "report_form": ReportForm(initial={"year": selectors.latest_activity_year() or this_year() - 1}),
            "own_mission_form": OwnMissionForm()
            if contract and not any(r["mission"].mission == "own" for r in missions)
            else None,
        },
    )


@role_required(Role.TEAM)
def contract(request):
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_contract(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, _("Contrat enregistré : les échéances des missions sont calculées."))
            return redirect("aci:cockpit")
    return render(request, "aci/contract.html", {"form": form, "current": selectors.get_contract()})


@role_required(Role.TEAM)
def mission_edit(request, pk: int):
    mission = get_object_or_404(ContractMission.objects.select_related("contract"), pk=pk)
    form = MissionForm(request.POST or None, instance=mission)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_mission(
                actor=request.user, mission=ContractMission.objects.get(pk=pk), data=form.cleaned_data
            )
        except ValidationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, _("Mission enregistrée."))
            return redirect("aci:cockpit")
    return render(request, "aci/mission.html", {"mission": mission, "form": form})


@role_required(Role.TEAM)
def finances(request):
    year = _year(request)
    contract = selectors.get_contract()
    forms = {
        "funding": FundingLineForm(prefix="funding", initial={"year": year}),
        "payment": PaymentForm(prefix="payment"),
        "spending": SpendingForm(prefix="spending"),
    }
    if request.method == "POST":
        kind = request.POST.get("form")
        if kind in ("funding", "payment") and contract is None:
            messages.error(request, _("Enregistrez d'abord le contrat ACI."))
            return redirect("aci:contract")
        form_class = {"funding": FundingLineForm, "payment": PaymentForm, "spending": SpendingForm}.get(kind)
        if form_class is None:
            raise Http404
        form = form_class(request.POST, request.FILES, prefix=kind)
        forms[kind] = form
        if form.is_valid():
            try:
                if kind == "funding":
                    services.set_funding_line(actor=request.user, contract=contract, **form.cleaned_data)
                elif kind == "payment":
                    services.record_payment(actor=request.user, contract=contract, **form.cleaned_data)
                else:
                    services.record_spending(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors_to_form(form, error)
            else:
                messages.success(request, _("Enregistré."))
                return redirect(f"{request.path}?annee={year}")
    size = selectors.contract_size(contract, request.tenant)
    return render(
        request,
        "aci/finances.html",
        {
            "year": year,
            "contract": contract,
            "budget": selectors.budget_overview(contract, year, size=size),
            "funding_lines": selectors.list_funding_lines(contract, year) if contract else [],
            "payments": selectors.list_payments(contract, year) if contract else [],
            "spending": selectors.list_spending(year),
            "forms": forms,
        },
    )


ENTRY_MODELS = {"financement": FundingLine, "versement": AciPayment, "depense": Spending}


@require_POST
@role_required(Role.TEAM)
def entry_delete(request, kind: str, pk: int):
    model = ENTRY_MODELS.get(kind)
    if model is None:
        raise Http404
    entry = get_object_or_404(model, pk=pk)
    services.delete_entry(actor=request.user, entry=entry)
    messages.success(request, _("Ligne supprimée."))
    return redirect(f"{reverse('aci:finances')}?annee={_year(request)}")


@require_POST
@role_required(Role.TEAM)
def own_mission(request):
    contract = selectors.get_contract()
    if contract is None:
        raise Http404
    form = OwnMissionForm(request.POST)
    if form.is_valid():
        try:
            services.add_own_mission(actor=request.user, contract=contract, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Mission propre ajoutée au contrat."))
    else:
        messages.error(request, _("Indiquez l'intitulé et les délais (en mois) de la mission."))
    return redirect("aci:cockpit")


@role_required(Role.TEAM)
def grid(request):
    grids = list(selectors.list_grids().prefetch_related("missions", "amounts"))
    if request.method == "POST":
        amount = get_object_or_404(GridAmount, pk=request.POST.get("amount_id"))
        try:
            value = Decimal(request.POST.get("annual_amount", "").replace(",", ".").replace(" ", ""))
            services.set_grid_amount(actor=request.user, grid_amount=amount, annual_amount=value)
        except (InvalidOperation, ValidationError):
            messages.error(request, _("Saisissez un montant positif, par exemple 12500 ou 12500,50."))
        else:
            messages.success(request, _("Montant de référence corrigé."))
        return redirect("aci:grid")
    return render(request, "aci/grid.html", {"grids": grids})


@role_required(Role.MEMBER)
def indicator_list(request):
    year = _year(request)
    return render(
        request,
        "aci/indicators.html",
        {"year": year, "cards": _progress_cards(year), "is_team": request.membership.has_role(Role.TEAM)},
    )


@role_required(Role.TEAM)
def indicator_create(request):
    form = IndicatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        indicator = services.create_indicator(actor=request.user, data=form.cleaned_data)
        messages.success(request, _("Indicateur créé."))
        return redirect("aci:indicator", pk=indicator.pk)
    return render(request, "aci/indicator_form.html", {"form": form})


@role_required(Role.MEMBER)
def indicator_detail(request, pk: int):
    indicator = selectors.get_indicator(pk)
    if indicator is None:
        raise Http404
    year = _year(request)
    is_team = request.membership.has_role(Role.TEAM)
    forms = {
        "value": ValueForm(prefix="value"),
        "target": TargetForm(prefix="target", initial={"year": year}),
        "evidence": EvidenceForm(prefix="evidence"),
        "indicator": IndicatorForm(prefix="indicator", instance=indicator),
    }
    if request.method == "POST":
        if not is_team:
            raise PermissionDenied
        kind = request.POST.get("form")
        if kind == "refresh":
            services.refresh_computed_values(year=year)
            messages.success(request, _("Valeurs recalculées à partir des données de la plateforme."))
            return redirect(f"{request.path}?annee={year}")
        form_class = {
            "value": ValueForm,
            "target": TargetForm,
            "evidence": EvidenceForm,
            "indicator": IndicatorForm,
        }.get(kind)
        if form_class is None:
            raise Http404
        kwargs = {"instance": selectors.get_indicator(pk)} if kind == "indicator" else {}
        form = form_class(request.POST, request.FILES, prefix=kind, **kwargs)
        forms[kind] = form
        if form.is_valid():
            try:
                if kind == "value":
                    services.record_value(actor=request.user, indicator=indicator, **form.cleaned_data)
                elif kind == "target":
                    services.set_target(actor=request.user, indicator=indicator, **form.cleaned_data)
                elif kind == "evidence":
                    services.attach_evidence(actor=request.user, indicator=indicator, **form.cleaned_data)
                else:
                    services.update_indicator(actor=request.user, indicator=indicator, data=form.cleaned_data)
            except ValidationError as error:
                add_errors_to_form(form, error)
            else:
                messages.success(request, _("Enregistré."))
                return redirect(f"{request.path}?annee={year}")
    progress = next(
        p for p in selectors.list_indicator_progress(year, live=True) if p.indicator.pk == indicator.pk
    )
    return render(
        request,
        "aci/indicator.html",
        {
            "indicator": indicator,
            "year": year,
            "progress": progress,
            "bar": charts.progress_bar(
                progress.value, progress.target, label=indicator.label, unit=indicator.unit
            ),
            "history": charts.history_chart(progress.history, label=indicator.label, unit=indicator.unit),
            "values": selectors.list_values(indicator),
            "targets": indicator.targets.all(),
            "evidence": indicator.evidence.all(),
            "forms": forms,
            "is_team": is_team,
        },
    )


@role_required(Role.MEMBER)
def evidence_download(request, pk: int, evidence_id: int):
    evidence = Evidence.objects.filter(indicator_id=pk, pk=evidence_id).first()
    if evidence is None:
        raise Http404
    return file_response(evidence.file.name, as_attachment=True)


@require_POST
@role_required(Role.TEAM)
def report_request(request):
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.request_annual_report(actor=request.user, year=form.cleaned_data["year"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Le rapport est en préparation : il apparaîtra dans la liste dans quelques instants."),
            )
    else:
        messages.error(request, _("Choisissez une année."))
    return redirect("aci:cockpit")


def this_year() -> int:
    return timezone.localdate().year


def _reports_context() -> dict:
    reports = list(selectors.list_reports())
    unfinished = {AnnualReport.Status.PENDING, AnnualReport.Status.RUNNING}
    return {"reports": reports, "reports_pending": any(r.status in unfinished for r in reports)}


@role_required(Role.TEAM)
def report_list(request):
    """The reports table alone, polled by the cockpit (htmx) while a report is being built."""
    return render(request, "aci/_reports.html", _reports_context())


@role_required(Role.TEAM)
def report_download(request, pk: int, fmt: str):
    report = AnnualReport.objects.filter(pk=pk, status=AnnualReport.Status.DONE).first()
    path = {"pdf": "pdf_path", "csv": "csv_path", "xlsx": "xlsx_path"}.get(fmt)
    if report is None or path is None or not getattr(report, path):
        raise Http404
    name = getattr(report, path)
    return file_response(name, as_attachment=True)
