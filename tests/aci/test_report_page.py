"""The annual report section of the ACI cockpit: it offers the latest year with activity, and
refreshes itself (htmx polling, like the import page) until the reports asked for are ready."""

import re
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django_tenants.utils import schema_context

from apps.aci.models import AnnualReport, Spending
from tests.conftest import HOST_A

THIS_YEAR = timezone.localdate().year


def _selected_year(html: str) -> int:
    select = html.split('name="year"', 1)[1].split("</select>", 1)[0]
    return int(re.search(r'<option value="(\d+)" selected', select).group(1))


def test_the_report_year_defaults_to_the_latest_year_with_activity(community_a, alice, client_as):
    team = client_as(alice, HOST_A)
    assert _selected_year(team.get("/aci/").text) == THIS_YEAR - 1  # nothing recorded yet
    with schema_context(community_a.schema_name):
        Spending.objects.create(
            spent_on=date(THIS_YEAR - 3, 6, 1), amount=Decimal("120"), envelope="operating", label="Salle"
        )
    assert _selected_year(team.get("/aci/").text) == THIS_YEAR - 3
    with schema_context(community_a.schema_name):
        Spending.objects.create(
            spent_on=date(THIS_YEAR, 1, 2), amount=Decimal("80"), envelope="operating", label="Affiches"
        )
    assert _selected_year(team.get("/aci/").text) == THIS_YEAR


def test_the_report_list_polls_until_every_report_is_finished(community_a, alice, bob, client_as):
    with schema_context(community_a.schema_name):
        report = AnnualReport.objects.create(year=THIS_YEAR - 1, requested_by=alice)
    team = client_as(alice, HOST_A)
    cockpit = team.get("/aci/").text
    assert 'hx-get="/aci/rapports/liste/"' in cockpit and 'hx-trigger="every 2s"' in cockpit
    partial = team.get("/aci/rapports/liste/")
    assert partial.status_code == 200 and "En attente" in partial.text and "every 2s" in partial.text
    assert "<html" not in partial.text

    with schema_context(community_a.schema_name):
        AnnualReport.objects.filter(pk=report.pk).update(status="done", pdf_path="aci/rapport.pdf")
    ready = team.get("/aci/rapports/liste/").text
    assert "Prêt" in ready and f"/aci/rapports/{report.pk}/pdf/" in ready
    assert "hx-trigger" not in ready  # finished: polling stops
    assert client_as(bob, HOST_A).get("/aci/rapports/liste/").status_code == 403
