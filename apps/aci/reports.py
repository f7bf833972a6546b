"""The annual activity report (*rapport d'activité*) for the *dialogue de gestion*: its figures
(one read pass: ``build_report_data``) and three renderings (PDF with fpdf2, CSV, XLSX)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone
from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Font

from apps.health_projects import selectors as project_selectors
from apps.health_projects.models import Action

from . import selectors
from .models import Contract, ContractMission


@dataclass
class MissionRow:
    label: str
    start_by: date
    fully_deployed_by: date
    started_on: date | None
    deployed_on: date | None
    state: str


@dataclass
class ReportData:
    community_name: str
    year: int
    generated_at: object
    contract: Contract | None
    size: int | None
    missions: list[MissionRow]
    actions: list[Action]
    action_counts: dict[str, int]
    indicators: list[selectors.IndicatorProgress]
    budget: selectors.BudgetOverview


STATE_LABELS = {
    "deployed": "Déployée",
    "started": "Démarrée",
    "late_deployment": "Déploiement en retard",
    "late_start": "Démarrage en retard",
    "upcoming": "À venir",
}


def build_report_data(year: int, *, community) -> ReportData:
    contract = selectors.get_contract()
    size = selectors.contract_size(contract, community)
    today = min(timezone.localdate(), date(year, 12, 31))
    missions: list[MissionRow] = []
    if contract:
        for mission in selectors.list_contract_missions(contract):
            deadlines = mission.deadlines
            missions.append(
                MissionRow(
                    label=str(mission),
                    start_by=deadlines.start_by,
                    fully_deployed_by=deadlines.fully_deployed_by,
                    started_on=mission.started_on,
                    deployed_on=mission.deployed_on,
                    state=ContractMission.state(mission, today),
                )
            )
    version = project_selectors.get_current_version()
    actions = list(project_selectors.list_actions(version)) if version else []
    counts: dict[str, int] = {}
    for action in actions:
        counts[action.get_status_display()] = counts.get(action.get_status_display(), 0) + 1
    return ReportData(
        community_name=community.name,
        year=year,
        generated_at=timezone.localtime(),
        contract=contract,
        size=size,
        missions=missions,
        actions=actions,
        action_counts=counts,
        indicators=selectors.list_indicator_progress(year),
        budget=selectors.budget_overview(contract, year, size=size),
    )


def fmt_amount(value: Decimal | None) -> str:
    """1234.5 → '1 234,50 €' (a plain space: the PDF core font has no narrow no-break space)."""
    if value is None:
        return "-"
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return f"{text} €"


def fmt_number(value: Decimal | None) -> str:
    if value is None:
        return "-"
    if value == value.to_integral_value():
        return f"{int(value):,}".replace(",", " ")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def fmt_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "-"


def progress_text(item: selectors.IndicatorProgress) -> str:
    ratio = item.ratio
    return "-" if ratio is None else f"{round(ratio * 100)} %"


# --- Tabular figures (CSV and XLSX share them) -------------------------------------------------


def report_sections(data: ReportData) -> list[tuple[str, list[str], list[list]]]:
    """(title, header, rows) of every table in the report; values are str, int, Decimal or date."""
    missions = [
        [m.label, m.start_by, m.fully_deployed_by, m.started_on, m.deployed_on, STATE_LABELS[m.state]]
        for m in data.missions
    ]
    indicators = [
        [
            item.indicator.label,
            item.indicator.get_nature_display(),
            item.indicator.unit,
            item.indicator.baseline,
            item.target,
            item.value,
            None if item.ratio is None else round(item.ratio * 100),
        ]
        for item in data.indicators
    ]
    budget = [
        [row.label, row.reference, row.contracted, row.received, row.spent, row.remaining]
        for row in data.budget.rows
    ]
    budget.append(
        [
            "Total",
            data.budget.total("reference"),
            data.budget.total("contracted"),
            data.budget.total("received"),
            data.budget.total("spent"),
            data.budget.total("remaining"),
        ]
    )
    actions = [
        [
            a.axis.title,
            a.title,
            a.get_status_display(),
            a.owner.get_full_name() if a.owner else "",
            a.working_group.name if a.working_group else "",
            a.start_date,
            a.end_date,
            a.budget,
        ]
        for a in data.actions
    ]
    return [
        (
            "Missions",
            [
                "Mission",
                "Démarrage au plus tard",
                "Déploiement au plus tard",
                "Démarrée le",
                "Déployée le",
                "État",
            ],
            missions,
        ),
        (
            "Indicateurs",
            [
                "Indicateur",
                "Nature",
                "Unité",
                "Valeur de départ",
                f"Cible {data.year}",
                f"Valeur {data.year}",
                "Atteinte (%)",
            ],
            indicators,
        ),
        (
            "Budget",
            ["Enveloppe", "Référence grille", "Contractualisé", "Reçu", "Dépensé", "Reste à dépenser"],
            budget,
        ),
        (
            "Actions",
            ["Axe", "Action", "Statut", "Pilote", "Groupe de travail", "Début", "Échéance", "Budget"],
            actions,
        ),
    ]


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    text = str(value)
    # Labels are typed by people: never let a spreadsheet run one as a formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def render_csv(data: ReportData) -> bytes:
    """One CSV with one block per table (semicolons, UTF-8 with BOM for French spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([f"Rapport d'activité {data.year}", data.community_name])
    for title, header, rows in report_sections(data):
        writer.writerow([])
        writer.writerow([title])
        writer.writerow(header)
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_xlsx(data: ReportData) -> bytes:
    """One sheet per table, numbers as numbers and dates as dates."""

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in report_sections(data):
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # a label starting with "=": text, never a formula
                    cell.data_type = "s"
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF -----------------------------------------------------------------------------------------

# The PDF core fonts are written in Windows-1252 (WinAnsiEncoding), which has "€", "œ", "’", "–"
# and "…". Spaces the wrapping must see as spaces become plain ones; anything else outside
# Windows-1252 becomes "?".
_PDF_MAP = str.maketrans({"\u202f": " ", "\u00a0": " "})
PDF_ENCODING = "cp1252"


def pdf_text(value) -> str:
    return str(value).translate(_PDF_MAP).encode(PDF_ENCODING, "replace").decode(PDF_ENCODING)


def render_pdf(data: ReportData) -> bytes:

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.core_fonts_encoding = PDF_ENCODING
    pdf.set_title(pdf_text(f"Rapport d'activité {data.year} - {data.community_name}"))
    pdf.set_author(pdf_text(data.community_name))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, pdf_text(f"Rapport d'activité {data.year}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(0, 7, pdf_text(data.community_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    intro = f"Dialogue de gestion - document généré le {data.generated_at:%d/%m/%Y à %H:%M}."
    if data.contract:
        intro += f" Contrat ACI signé le {fmt_date(data.contract.signed_on)}"
        intro += f", taille {data.size}." if data.size else "."
    else:
        intro += " Aucun contrat ACI enregistré."
    pdf.multi_cell(0, 5, pdf_text(intro), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 8, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)

    def table(header: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> None:
        # Drawn by hand rather than with pdf.table(): its per-cell layout engine took ~70 % of the
        # whole report's time (benchmarks/annual_report.py). Core fonts make string widths cheap.
        scale = pdf.epw / sum(widths)
        columns = [w * scale for w in widths]
        line_h, pad = 4.6, 1.2

        def wrap(text: str, width: float) -> list[str]:
            lines, current = [], ""
            for word in pdf_text(text).split():
                candidate = f"{current} {word}" if current else word
                if current and pdf.get_string_width(candidate) > width - 2 * pad:
                    lines.append(current)
                    current = word
                else:
                    current = candidate
            lines.append(current)
            return lines

        def draw(cells: list[str], bold: bool) -> None:
            pdf.set_font("Helvetica", "B" if bold else "", 9)
            wrapped = [wrap(str(cell), width) for cell, width in zip(cells, columns, strict=True)]
            height = line_h * max(len(lines) for lines in wrapped) + 2 * pad
            if pdf.get_y() + height > pdf.page_break_trigger:
                pdf.add_page()
                if not bold:
                    draw(header, True)
            x, y = pdf.l_margin, pdf.get_y()
            if bold:
                pdf.set_fill_color(230, 235, 241)
                pdf.rect(x, y, sum(columns), height, style="F")
            for lines, width in zip(wrapped, columns, strict=True):
                pdf.rect(x, y, width, height)
                for index, line in enumerate(lines):
                    pdf.set_xy(x + pad, y + pad + index * line_h)
                    pdf.cell(width - 2 * pad, line_h, line)
                x += width
            pdf.set_xy(pdf.l_margin, y + height)

        draw(header, True)
        for row in rows:
            draw(row, False)
        pdf.set_font("Helvetica", "", 9)

    heading("1. Missions et échéances")
    if data.missions:
        table(
            ["Mission", "Démarrage au plus tard", "Déploiement au plus tard", "État"],
            [
                [m.label, fmt_date(m.start_by), fmt_date(m.fully_deployed_by), STATE_LABELS[m.state]]
                for m in data.missions
            ],
            (70, 35, 35, 40),
        )
    else:
        pdf.multi_cell(0, 5, pdf_text("Aucune mission enregistrée."), new_x="LMARGIN", new_y="NEXT")

    heading("2. Indicateurs et cibles")
    if data.indicators:
        table(
            ["Indicateur", "Nature", f"Cible {data.year}", f"Valeur {data.year}", "Atteinte"],
            [
                [
                    f"{item.indicator.label} ({item.indicator.unit})",
                    str(item.indicator.get_nature_display()).replace("Indicateur de ", "").capitalize(),
                    fmt_number(item.target),
                    fmt_number(item.value),
                    progress_text(item),
                ]
                for item in data.indicators
            ],
            (80, 25, 25, 25, 25),
        )
    else:
        pdf.multi_cell(0, 5, pdf_text("Aucun indicateur défini."), new_x="LMARGIN", new_y="NEXT")

    heading("3. Dépenses par enveloppe")
    budget_rows = [
        [
            row.label,
            fmt_amount(row.contracted),
            fmt_amount(row.received),
            fmt_amount(row.spent),
            fmt_amount(row.remaining),
        ]
        for row in data.budget.rows
    ]
    budget_rows.append(
        [
            "Total",
            fmt_amount(data.budget.total("contracted")),
            fmt_amount(data.budget.total("received")),
            fmt_amount(data.budget.total("spent")),
            fmt_amount(data.budget.total("remaining")),
        ]
    )
    table(
        ["Enveloppe", "Contractualisé", "Reçu", "Dépensé", "Reste à dépenser"],
        budget_rows,
        (56, 31, 31, 31, 31),
    )

    heading("4. Actions du projet de santé")
    if data.action_counts:
        summary = ", ".join(f"{label} : {count}" for label, count in sorted(data.action_counts.items()))
        pdf.multi_cell(
            0,
            5,
            pdf_text(f"{len(data.actions)} action{'s' if len(data.actions) > 1 else ''} - {summary}."),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(2)
        table(
            ["Axe", "Action", "Statut", "Échéance"],
            [[a.axis.title, a.title, a.get_status_display(), fmt_date(a.end_date)] for a in data.actions],
            (50, 80, 25, 25),
        )
    else:
        pdf.multi_cell(0, 5, pdf_text("Aucune action enregistrée."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
