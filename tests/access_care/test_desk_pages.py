"""What the desk's pages tell the people using them: every error of the public form at once, only
the statuses a request can move to, a letter that can be posted, mails that read as French."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.access_care import services, views
from apps.access_care.models import PatientRequest
from apps.aci import selectors as aci_selectors
from apps.aci import services as aci_services
from tests.access_care.conftest import ORLEANS, SULLY, request_data, submit
from tests.conftest import HOST_A

FORM = {
    "last_name": "Lefèvre",
    "first_name": "Jeanne",
    "birth_date": "1948-05-17",
    "commune": "Sully-sur-Loire",
    "email": "jeanne@example.fr",
    "contact_by": "email",
}


def _post_form(data: dict):
    return Client(HTTP_HOST=HOST_A, REMOTE_ADDR="10.3.3.3").post(reverse("access_care:request_form"), data)


def test_the_public_form_gives_the_territory_answer_with_the_other_errors_at_once(desk, community_a):
    response = _post_form({**FORM, "commune": ORLEANS})  # no consent either
    assert response.status_code == 400
    body = response.content.decode()
    assert "Votre accord est nécessaire" in body
    assert "ne fait pas partie du territoire de la CPTS" in body
    with schema_context(community_a.schema_name):
        assert not PatientRequest.objects.exists()


def _status_options(client, pk: int) -> list[str]:
    page = client.get(reverse("access_care:request", args=[pk])).content.decode()
    select = re.search(r'<select name="status"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(1)) if select else []


def test_the_status_form_offers_only_the_moves_the_request_can_make(desk, community_a, dora_client):
    with schema_context(community_a.schema_name):
        request = submit()
    assert _status_options(dora_client, request.pk) == ["", "qualified", "unreachable", "closed"]
    with schema_context(community_a.schema_name):
        services.change_status(actor=desk.dora, request=request, to_status="qualified")
    assert _status_options(dora_client, request.pk) == ["", "declined", "unreachable", "closed"]
    with schema_context(community_a.schema_name):
        services.change_status(actor=desk.dora, request=request, to_status="closed", close_reason="moved")
    page = dora_client.get(reverse("access_care:request", args=[request.pk])).content.decode()
    assert _status_options(dora_client, request.pk) == []
    assert "Demande close" in page


def test_the_letter_is_addressed_with_the_commune_and_the_mails_name_the_cpts_properly(
    desk, community_a, client_as, dora_client, django_capture_on_commit_callbacks
):
    with schema_context(community_a.schema_name):
        services.declare_capacity(
            actor=desk.gaston,
            places=2,
            groups=[],
            communes=[],
            practice_commune=SULLY,
            practice_name="Cabinet du Port",
            practice_phone="02 38 00 00 00",
        )
        request = submit(address="3 rue des Lilas")
        with django_capture_on_commit_callbacks(execute=True):
            proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
    letter = dora_client.get(reverse("access_care:request_letter", args=[request.pk]))
    assert letter.status_code == 404  # nobody accepted yet
    with schema_context(community_a.schema_name), django_capture_on_commit_callbacks(execute=True):
        services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
    letter = dora_client.get(reverse("access_care:request_letter", args=[request.pk])).content.decode()
    assert re.search(r"3 rue des Lilas<br>\s*45600 Sully-sur-Loire", letter), letter
    name = community_a.name
    for message in mail.outbox:
        assert f"de {name}" not in message.body.replace(f"de la {name}", ""), message.body


def test_the_queue_pages_keep_every_filter(desk, community_a, dora_client, monkeypatch):
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    with schema_context(community_a.schema_name):
        for n in range(3):
            services.submit_public_request(
                data=request_data(last_name=f"Nom{n}"), consent=True, client_ip=f"10.4.0.{n}"
            )
    page = dora_client.get(f"/acces-aux-soins/?commune={SULLY}&prioritaires=1&doublons=").content.decode()
    following = re.search(r'<a href="\?([^"]*)">Suivantes', page).group(1).replace("&amp;", "&")
    assert sorted(following.split("&")) == sorted([f"commune={SULLY}", "prioritaires=1", "page=2"])
    page = dora_client.get(f"/acces-aux-soins/?{following}").content.decode()
    preceding = re.search(r'<a href="\?([^"]*)">← Précédentes', page).group(1).replace("&amp;", "&")
    assert sorted(preceding.split("&")) == sorted([f"commune={SULLY}", "prioritaires=1", "page=1"])


def test_the_aci_pages_count_an_acceptance_at_once_without_a_recalculation(desk, community_a, dora_client):
    with schema_context(community_a.schema_name):
        found = aci_services.create_indicator(
            actor=desk.dora,
            data={"label": "Patients ayant trouvé", "unit": "patients", "source": "access_found"},
        )
        aci_services.refresh_computed_values(year=timezone.localdate().year)
        services.declare_capacity(actor=desk.gaston, places=2, groups=[], communes=[], practice_commune=SULLY)
        proposal = services.propose(actor=desk.dora, request=submit(), gp=desk.gaston)
        services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
    cockpit = dora_client.get("/aci/").content.decode()
    assert re.search(r"Patients ayant trouvé</a>\s*:\s*<strong>1</strong> patients", cockpit), cockpit
    listing = dora_client.get("/aci/indicateurs/").content.decode()
    assert re.search(r"<strong>1</strong> patients", listing)
    assert "aucune cible fixée" in listing
    detail = dora_client.get(f"/aci/indicateurs/{found.pk}/").content.decode()
    assert re.search(r"<strong>\d{4} : 1</strong>", detail)


def test_the_dashboard_aci_panel_shows_the_same_live_figure_as_the_cockpit(desk, community_a, dora_client):
    this_year = timezone.localdate().year
    with schema_context(community_a.schema_name):
        signed = date(this_year - 1, 3, 1)
        aci_services.create_contract(actor=desk.dora, signed_on=signed, grid=aci_selectors.grid_for(signed))
        found = aci_services.create_indicator(
            actor=desk.dora,
            data={"label": "Patients ayant trouvé", "unit": "patients", "source": "access_found"},
        )
        aci_services.set_target(actor=desk.dora, indicator=found, year=this_year, target=Decimal(10))
        aci_services.refresh_computed_values(year=this_year)  # stores 0
        services.declare_capacity(actor=desk.gaston, places=2, groups=[], communes=[], practice_commune=SULLY)
        proposal = services.propose(actor=desk.dora, request=submit(), gp=desk.gaston)
        services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
    cockpit = dora_client.get("/aci/").content.decode()
    assert re.search(r"Patients ayant trouvé</a>\s*:\s*<strong>1</strong> patients", cockpit), cockpit
    dashboard = dora_client.get(reverse("dashboard:home")).content.decode()
    row = re.search(r"Patients ayant trouvé</a>.*?</li>", dashboard, re.S)
    assert row, dashboard
    assert re.search(r">\s*1 / objectif 10", row.group(0)), row.group(0)
