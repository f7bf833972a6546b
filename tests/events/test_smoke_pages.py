"""Every page of issue 6 renders for the team with data in place, within a bounded number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.aci import selectors as aci_selectors
from apps.aci import services as aci_services
from apps.events import services as event_services
from apps.events.models import Event
from apps.health_projects import services as project_services
from apps.working_groups import services as group_services
from tests.conftest import HOST_A


@pytest.fixture
def populated(world, db, alice, bob):
    with schema_context("alpha"):
        start = timezone.now() + timedelta(days=5)
        events = [
            Event.objects.create(title=f"Soirée {i}", starts_at=start + timedelta(days=i), ends_at=start + timedelta(days=i, hours=2),
                                 capacity=10, visibility="public" if i % 2 else "members")
            for i in range(6)
        ]  # fmt: skip
        for event in events:
            event_services.register(actor=bob, event=event)
        group = group_services.create_group(
            actor=alice, data={"name": "Parcours", "lead": bob}, member_ids=[alice.pk]
        )
        meeting = group_services.schedule_meeting(
            actor=bob, group=group, data={"starts_at": timezone.now() - timedelta(days=2)}
        )
        document = group_services.add_document(
            actor=bob, group=group, title="CR", file=ContentFile(b"x", name="cr.txt")
        )
        version = project_services.create_version(actor=alice, title="Projet")
        action = project_services.add_action(
            actor=alice, axis=version.axes.first(), data={"title": "Annuaire", "working_group": group}
        )
        contract = aci_services.create_contract(
            actor=alice, signed_on=date(2024, 5, 2), grid=aci_selectors.grid_for(date(2024, 5, 2))
        )
        indicator = aci_services.create_indicator(
            actor=alice, data={"label": "Réunions", "source": "meetings_held"}
        )
        aci_services.set_target(
            actor=alice, indicator=indicator, year=timezone.localdate().year, target=Decimal(6)
        )
        evidence = aci_services.attach_evidence(
            actor=alice, indicator=indicator, title="Feuille", file=ContentFile(b"y", name="f.txt")
        )
        mission = contract.missions.first()
    return {"event": events[0], "group": group, "meeting": meeting, "document": document, "version": version,
            "action": action, "mission": mission, "indicator": indicator, "evidence": evidence}  # fmt: skip


def test_every_page_renders_for_the_team(populated, alice, client_as):
    p = populated
    client = client_as(alice, HOST_A)
    urls = [
        "/evenements/", f"/evenements/{p['event'].pk}/", "/evenements/nouveau/", f"/evenements/{p['event'].pk}/modifier/",
        f"/evenements/{p['event'].pk}/inscrits/", "/projet-de-sante/", "/projet-de-sante/complet/", "/projet-de-sante/versions/",
        f"/projet-de-sante/versions/{p['version'].number}/", f"/projet-de-sante/actions/{p['action'].pk}/",
        "/groupes-de-travail/", "/groupes-de-travail/nouveau/", f"/groupes-de-travail/{p['group'].pk}/",
        f"/groupes-de-travail/{p['group'].pk}/modifier/", f"/groupes-de-travail/{p['group'].pk}/reunions/nouvelle/",
        f"/groupes-de-travail/{p['group'].pk}/reunions/{p['meeting'].pk}/", "/aci/", "/aci/contrat/", "/aci/finances/",
        "/aci/grille/", "/aci/indicateurs/", "/aci/indicateurs/nouveau/", f"/aci/indicateurs/{p['indicator'].pk}/",
        f"/aci/missions/{p['mission'].pk}/",
    ]  # fmt: skip
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<h1" in response.text, url
    for url in (f"/groupes-de-travail/{p['group'].pk}/documents/{p['document'].pk}/",
                f"/aci/indicateurs/{p['indicator'].pk}/justificatifs/{p['evidence'].pk}/"):  # fmt: skip
        assert client.get(url).status_code == 200, url


def test_list_pages_use_a_bounded_number_of_queries(populated, alice, bob, client_as):
    client = client_as(alice, HOST_A)
    counts = {}
    for url in (
        "/evenements/",
        "/groupes-de-travail/",
        "/aci/indicateurs/",
        "/aci/",
        "/projet-de-sante/complet/",
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[url] = len(queries)
    # Add rows and ask again: the counts must not grow with the data.
    with schema_context("alpha"):
        start = timezone.now() + timedelta(days=20)
        for i in range(5):
            event = Event.objects.create(
                title=f"Plus {i}", starts_at=start, ends_at=start + timedelta(hours=1)
            )
            event_services.register(actor=bob, event=event)
            group_services.create_group(actor=alice, data={"name": f"G{i}"}, member_ids=[bob.pk])
            aci_services.create_indicator(actor=alice, data={"label": f"I{i}"})
            project_services.add_action(
                actor=alice, axis=populated["version"].axes.first(), data={"title": f"A{i}"}
            )
    for url, before in counts.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) <= before, (url, before, len(queries))
