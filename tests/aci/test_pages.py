"""ACI pages: team cockpit, members' indicators with SVG charts, reports, per-CPTS access."""

from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.aci import selectors, services
from apps.aci.models import AnnualReport, Contract, Indicator, Spending
from tests.conftest import HOST_A

YEAR = timezone.localdate().year


def test_charlie_gets_404_on_every_aci_page_of_a(world, db, alice, charlie, client_as):
    with schema_context("alpha"):
        indicator = services.create_indicator(actor=alice, data={"label": "Protocoles"})
    client = client_as(charlie, HOST_A)
    for url in (
        "/aci/",
        "/aci/contrat/",
        "/aci/finances/",
        "/aci/grille/",
        "/aci/indicateurs/",
        f"/aci/indicateurs/{indicator.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/aci/rapports/", {"year": YEAR - 1}).status_code == 404
    with schema_context("alpha"):
        assert not AnnualReport.objects.exists()


def test_bob_reads_indicators_but_gets_403_on_the_cockpit_and_on_writes(world, db, alice, bob, client_as):
    with schema_context("alpha"):
        indicator = services.create_indicator(
            actor=alice, data={"label": "Protocoles pluripro", "unit": "protocoles"}
        )
        services.set_target(actor=alice, indicator=indicator, year=YEAR, target=Decimal(10))
        services.record_value(
            actor=alice,
            indicator=indicator,
            period_start=date(YEAR, 1, 1),
            period_end=date(YEAR, 1, 31),
            value=Decimal(4),
        )
    client = client_as(bob, HOST_A)
    page = client.get("/aci/indicateurs/")
    assert page.status_code == 200 and "Protocoles pluripro" in page.text
    assert '<svg class="chart chart-progress"' in page.text and "40 %" in page.text
    assert "Protocoles pluripro : 4 sur une cible de 10 protocoles" in page.text
    for url in ("/aci/", "/aci/finances/", "/aci/contrat/", "/aci/grille/", "/aci/indicateurs/nouveau/"):
        assert client.get(url).status_code == 403, url
    response = client.post(
        f"/aci/indicateurs/{indicator.pk}/", {"form": "target", "target-year": YEAR, "target-target": "1"}
    )
    assert response.status_code == 403
    with schema_context("alpha"):
        assert indicator.targets.get(year=YEAR).target == Decimal(10)


def test_the_team_records_the_contract_and_spending_through_the_pages(world, db, alice, client_as):
    client = client_as(alice, HOST_A)
    with schema_context("alpha"):
        grid = selectors.grid_for(date(2024, 2, 1))
    response = client.post(
        "/aci/contrat/",
        {"signed_on": "2024-02-01", "grid": grid.pk, "size_override": "3", "optional_missions": ["support"]},
    )
    assert response.status_code == 302
    cockpit = client.get("/aci/")
    assert "01/08/2024" in cockpit.text and "01/08/2025" in cockpit.text  # access: 6 and 18 months
    bad = client.post("/aci/finances/", {"form": "spending", "spending-spent_on": f"{YEAR}-02-03", "spending-amount": "-5",
                                          "spending-envelope": "operating", "spending-label": "Loyer"})  # fmt: skip
    assert bad.status_code == 200 and "supérieure ou égale à 0" in bad.text
    good = client.post(
        "/aci/finances/",
        {"form": "spending", "spending-spent_on": f"{YEAR}-02-03", "spending-amount": "850.50",
         "spending-envelope": "operating", "spending-label": "Loyer",
         "spending-receipt": ContentFile(b"facture", name="facture.pdf")},
    )  # fmt: skip
    assert good.status_code == 302
    with schema_context("alpha"):
        contract = Contract.objects.get()
        spending = Spending.objects.get()
        missions = sorted(contract.missions.values_list("mission", flat=True))
    assert contract.size_override == 3 and missions == [
        "access",
        "crisis",
        "pathways",
        "prevention",
        "support",
    ]
    assert spending.amount == Decimal("850.50") and spending.receipt.name.startswith("aci/justificatifs/")


def test_the_team_requests_a_report_and_downloads_it(
    world, db, alice, client_as, django_capture_on_commit_callbacks
):
    client = client_as(alice, HOST_A)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/aci/rapports/", {"year": YEAR - 1})
    assert response.status_code == 302
    with schema_context("alpha"):
        report = AnnualReport.objects.get()
    assert report.status == "done"
    pdf = client.get(f"/aci/rapports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.get(f"/aci/rapports/{report.pk}/doc/").status_code == 404


def test_a_computed_indicator_is_refreshed_from_its_page(world, db, alice, client_as):
    with schema_context("alpha"):
        indicator = services.create_indicator(actor=alice, data={"label": "Membres", "source": "members"})
    client = client_as(alice, HOST_A)
    assert (
        client.post(f"/aci/indicateurs/{indicator.pk}/?annee={YEAR}", {"form": "refresh"}).status_code == 302
    )
    with schema_context("alpha"):
        from apps.members.models import Membership

        value = Indicator.objects.get(pk=indicator.pk).values.get().value
        assert value == Membership.objects.filter(is_active=True).count()


def test_the_team_deletes_a_mistaken_spending_and_its_receipt(world, db, alice, bob, client_as):
    from django.core.files.storage import default_storage

    with schema_context("alpha"):
        spending = services.record_spending(
            actor=alice, spent_on=date(YEAR, 1, 5), amount=Decimal(10), envelope="operating", label="Erreur",
            receipt=ContentFile(b"x", name="erreur.pdf"),
        )  # fmt: skip
        name = spending.receipt.name
        assert default_storage.exists(name)
    assert client_as(bob, HOST_A).post(f"/aci/finances/depense/{spending.pk}/supprimer/").status_code == 403
    response = client_as(alice, HOST_A).post(f"/aci/finances/depense/{spending.pk}/supprimer/")
    assert response.status_code == 302
    with schema_context("alpha"):
        assert not Spending.objects.filter(pk=spending.pk).exists()


def test_the_team_adds_an_own_mission_with_its_delays(world, db, alice, client_as):
    with schema_context("alpha"):
        contract = services.create_contract(
            actor=alice, signed_on=date(2024, 9, 1), grid=selectors.grid_for(date(2024, 9, 1))
        )
    client = client_as(alice, HOST_A)
    bad = client.post(
        "/aci/missions/propre/",
        {"label": "Santé mentale", "start_months": "12", "full_months": "6"},
        follow=True,
    )
    assert "ne peut précéder le démarrage" in bad.text
    client.post("/aci/missions/propre/", {"label": "Santé mentale", "start_months": "9", "full_months": "30"})
    with schema_context("alpha"):
        own = contract.missions.get(mission="own")
    assert (own.label, own.deadlines.start_by, own.deadlines.fully_deployed_by) == (
        "Santé mentale",
        date(2025, 6, 1),
        date(2027, 3, 1),
    )
