"""The annual activity report: built by the worker task, PDF opened and its figures checked."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import schema_context
from openpyxl import load_workbook
from pypdf import PdfReader

from apps.aci import selectors, services
from apps.aci.models import AnnualReport
from apps.health_projects import services as project_services
from apps.working_groups.models import Meeting, WorkingGroup
from workers.aci import build_annual_report_task

YEAR = timezone.localdate().year - 1


def seed_year(alice):
    """A contract signed on 15 March of YEAR, money in and out, two indicators, one action."""
    grid = selectors.grid_for(date(YEAR, 3, 15))
    contract = services.create_contract(actor=alice, signed_on=date(YEAR, 3, 15), grid=grid, size_override=2)
    services.set_funding_line(
        actor=alice,
        contract=contract,
        year=YEAR,
        envelope="operating",
        part="operating",
        contracted_amount=Decimal("105000"),
    )
    services.set_funding_line(
        actor=alice,
        contract=contract,
        year=YEAR,
        envelope="access",
        part="fixed",
        contracted_amount=Decimal("30000"),
    )
    services.record_payment(
        actor=alice,
        contract=contract,
        received_on=date(YEAR, 4, 2),
        amount=Decimal("78750"),
        envelope="operating",
        part="operating",
    )
    services.record_spending(
        actor=alice, spent_on=date(YEAR, 5, 3), amount=Decimal("1500"), envelope="operating", label="Loyer"
    )
    services.record_spending(
        actor=alice,
        spent_on=date(YEAR, 6, 9),
        amount=Decimal("2250.50"),
        envelope="access",
        label="Coordination SNP",
    )
    services.record_spending(
        actor=alice,
        spent_on=date(YEAR + 1, 1, 9),
        amount=Decimal("999"),
        envelope="access",
        label="Année suivante",
    )
    meetings = services.create_indicator(
        actor=alice,
        data={"label": "Réunions de groupes de travail", "source": "meetings_held", "unit": "réunions"},
    )
    services.set_target(actor=alice, indicator=meetings, year=YEAR, target=Decimal(4))
    group = WorkingGroup.objects.create(name="Soins non programmés")
    for month in (2, 5, 9):
        Meeting.objects.create(group=group, starts_at=timezone.make_aware(datetime(YEAR, month, 12, 19)))
    services.refresh_computed_values(year=YEAR)
    oriented = services.create_indicator(
        actor=alice, data={"label": "Patients orientés vers un médecin traitant", "nature": "result"}
    )
    services.set_target(actor=alice, indicator=oriented, year=YEAR, target=Decimal(200))
    services.record_value(
        actor=alice,
        indicator=oriented,
        period_start=date(YEAR, 1, 1),
        period_end=date(YEAR, 12, 31),
        value=Decimal(150),
    )
    version = project_services.create_version(actor=alice, title="Projet de santé")
    axis = version.axes.get(mission="access")
    project_services.add_action(
        actor=alice,
        axis=axis,
        data={"title": "Cellule d’orientation SNP – cœur du dispositif", "status": "in_progress"},
    )
    return contract


def test_the_annual_report_pdf_csv_and_xlsx_carry_the_figures(
    world, db, alice, django_capture_on_commit_callbacks
):
    with schema_context("alpha"):
        seed_year(alice)
        with django_capture_on_commit_callbacks(execute=True):
            report = services.request_annual_report(actor=alice, year=YEAR)
        report.refresh_from_db()
        assert report.status == AnnualReport.Status.DONE, report.error
        with default_storage.open(report.pdf_path) as handle:
            pdf = PdfReader(io.BytesIO(handle.read()))
        with default_storage.open(report.csv_path) as handle:
            rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig")), delimiter=";"))
        with default_storage.open(report.xlsx_path) as handle:
            workbook = load_workbook(io.BytesIO(handle.read()))
    assert report.pdf_path.startswith(f"aci/rapports/{YEAR}/")
    text = " ".join(page.extract_text() for page in pdf.pages)
    text = " ".join(text.split())
    assert f"Rapport d'activité {YEAR}" in text and "CPTS Alpha" in text
    # Missions and their deadlines from the signature (15 March): access 6/18, pathways 12/24.
    assert f"Accès aux soins (médecin traitant, soins non programmés) 15/09/{YEAR} 15/09/{YEAR + 1}" in text
    assert f"Parcours pluriprofessionnels 15/03/{YEAR + 1} 15/03/{YEAR + 2}" in text
    # Indicators vs targets: 3 meetings of 4 (computed), 150 patients of 200 (entered).
    assert "Réunions de groupes de travail (réunions) Moyens 4 3 75 %" in text
    assert "Patients orientés vers un médecin traitant (nombre) Résultat 200 150 75 %" in text
    # Spending per envelope in YEAR only; totals.
    assert "Fonctionnement 105 000,00 € 78 750,00 € 1 500,00 € 103 500,00 €" in text
    assert "Accès aux soins 30 000,00 € 0,00 € 2 250,50 € 27 749,50 €" in text
    assert "Total 135 000,00 € 78 750,00 € 3 750,50 € 131 249,50 €" in text
    assert "EUR" not in text
    assert (
        "1 action - En cours : 1." in text
        and "Cellule d’orientation SNP – cœur du dispositif En cours" in text
    )
    assert ["Total", "278500,00", "135000,00", "78750,00", "3750,50", "131249,50"] in rows
    assert workbook.sheetnames == ["Missions", "Indicateurs", "Budget", "Actions"]
    budget = {row[0]: row[1:] for row in workbook["Budget"].iter_rows(min_row=2, values_only=True)}
    assert budget["Accès aux soins"][3] == pytest.approx(2250.50)


def test_building_a_report_twice_builds_it_once(world, db, alice):
    with schema_context("alpha"):
        report = AnnualReport.objects.create(year=YEAR, requested_by=alice)
        first = build_annual_report_task.apply(args=("alpha", report.pk)).get()
        second = build_annual_report_task.apply(args=("alpha", report.pk)).get()
        files = sorted(default_storage.listdir(f"aci/rapports/{YEAR}")[1])
    assert (first, second) == ("built", "skipped")
    assert len([f for f in files if f.startswith(f"rapport-activite-{YEAR}-{report.pk}.")]) == 3


def test_a_report_file_of_a_lives_under_a_prefix_b_cannot_read(world, db, alice):
    with schema_context("alpha"):
        report = AnnualReport.objects.create(year=YEAR, requested_by=alice)
        build_annual_report_task.apply(args=("alpha", report.pk)).get()
        report.refresh_from_db()
        path_in_a = default_storage.path(report.pdf_path)
    with schema_context("beta"):
        assert not default_storage.exists(report.pdf_path)
        assert default_storage.path(report.pdf_path) != path_in_a
    assert "/alpha/" in path_in_a


def test_a_plain_member_cannot_request_the_report(world, db, bob):
    with schema_context("alpha"):
        with pytest.raises(PermissionDenied):
            services.request_annual_report(actor=bob, year=YEAR)
        assert not AnnualReport.objects.exists()


def test_labels_never_become_spreadsheet_formulas(world, db, alice):
    from apps.aci.reports import build_report_data, render_csv, render_xlsx

    with schema_context("alpha"):
        services.create_indicator(actor=alice, data={"label": '=HYPERLINK("http://x","clic")'})
        data = build_report_data(YEAR, community=world.a)
        rows = list(csv.reader(io.StringIO(render_csv(data).decode("utf-8-sig")), delimiter=";"))
        workbook = load_workbook(io.BytesIO(render_xlsx(data)))
    assert ['\'=HYPERLINK("http://x","clic")'] == [r[0] for r in rows if "HYPERLINK" in "".join(r)]
    cell = next(c for c in workbook["Indicateurs"]["A"] if "HYPERLINK" in str(c.value))
    assert cell.data_type == "s"


def test_the_attendance_export_neutralises_formulas(world, db, alice, client_as):
    from django.contrib.auth import get_user_model

    from apps.events import services as event_services
    from apps.events.models import Event
    from apps.members.services import grant_role
    from tests.conftest import HOST_A

    with schema_context("alpha"):
        sly = get_user_model().objects.create_user(
            "sly@test.fr", "x" * 12, last_name="=1+1", first_name="@cmd"
        )
        grant_role(user=sly, role="member", dues_exempt=True)
        start = timezone.now() + timedelta(days=3)
        event = Event.objects.create(title="Réunion", starts_at=start, ends_at=start + timedelta(hours=1))
        event_services.register(actor=sly, event=event)
    lines = (
        client_as(alice, HOST_A)
        .get(f"/evenements/{event.pk}/inscrits.csv")
        .content.decode("utf-8-sig")
        .splitlines()
    )
    assert lines[1].startswith("'=1+1;'@cmd;sly@test.fr;")
