"""The audit log's pages: a CPTS's admins read, filter and export their CPTS's log, and only
theirs; the operator reads the platform's."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from apps.audit.log import record
from apps.audit.models import AuditEvent
from apps.events import services as event_services
from apps.members.models import Membership, Role
from apps.members.services import change_role
from apps.territory import services as territory
from tests.conftest import HOST_A, PLATFORM_HOST

URL = "/equipe/journal/"


def _count(schema: str, action: str) -> int:
    with schema_context(schema):
        return AuditEvent.objects.filter(action=action).count()


def test_an_admin_reads_her_cptss_log_in_french_with_names(community_a, community_b, alice, bob, client_as):
    with schema_context(community_a.schema_name):
        change_role(actor=alice, membership=Membership.objects.get(user=bob), role=Role.TEAM)
    with schema_context(community_b.schema_name):
        record(None, "territory.aci_size_set", None, size=4)
    response = client_as(alice, HOST_A).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rôle modifié" in page
    assert "Alice Admin" in page and bob.get_full_name() in page
    assert "<td>Taille ACI modifiée</td>" not in page  # beta's line stays in beta


def test_filters_narrow_the_lines_and_bad_dates_are_told_under_their_field(
    community_a, alice, bob, client_as
):
    with schema_context(community_a.schema_name):
        territory.set_aci_size(actor=alice, size=3)
        change_role(actor=alice, membership=Membership.objects.get(user=bob), role=Role.TEAM)
    client = client_as(alice, HOST_A)
    page = client.get(URL, {"action": "territory.aci_size_set"}).content.decode()
    assert "<td>Taille ACI modifiée</td>" in page and "<td>Rôle modifié</td>" not in page
    bad = client.get(URL, {"since": "2026-05-10", "until": "2026-05-01"})
    assert bad.status_code == 200
    assert "La date de fin doit suivre la date de début." in bad.content.decode()
    assert "Aucune ligne." in bad.content.decode()


def test_the_csv_export_holds_the_filtered_lines_and_is_itself_recorded(community_a, alice, client_as):
    with schema_context(community_a.schema_name):
        territory.set_aci_size(actor=alice, size=2)
    before = _count("alpha", "audit.exported")
    response = client_as(alice, HOST_A).get(URL, {"action": "territory.aci_size_set", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date", "Action", "Code", "Auteur", "Objet", "Détails"]
    assert [row[1:4] for row in rows[1:]] == [
        ["Taille ACI modifiée", "territory.aci_size_set", "Alice Admin"]
    ]
    assert _count("alpha", "audit.exported") == before + 1


def test_a_member_gets_403_and_a_stranger_404_and_nothing_is_recorded(community_a, bob, charlie, client_as):
    before = _count("alpha", "audit.exported")
    assert client_as(bob, HOST_A).get(URL, {"format": "csv"}).status_code == 403
    assert client_as(charlie, HOST_A).get(URL, {"format": "csv"}).status_code == 404
    assert _count("alpha", "audit.exported") == before


def test_the_operator_reads_the_platform_log_and_a_cpts_admin_cannot(
    community_a, alice, operator_client, client_as
):
    with schema_context("public"):
        record(alice, "platform.domain_added", None, domain="cpts-du-lac.fr")
    page = operator_client.get("/console/journal/").content.decode()
    assert "<td>Domaine ajouté</td>" in page and "cpts-du-lac.fr" in page
    assert client_as(alice, HOST_A).get("/console/journal/").status_code == 404
    assert client_as(alice, PLATFORM_HOST).get("/console/journal/").status_code == 403


def test_exporting_an_events_registrations_is_recorded(community_a, alice, client_as):
    with schema_context(community_a.schema_name):
        event = event_services.create_event(
            actor=alice,
            data={"title": "Soirée diabète", "kind": "training", "visibility": "members", "location": "Salle",
                  "description": "", "starts_at": timezone.now() + timedelta(days=3),
                  "ends_at": timezone.now() + timedelta(days=3, hours=2), "capacity": 20},
        )  # fmt: skip
    before = _count("alpha", "events.registrations_exported")
    assert client_as(alice, HOST_A).get(f"/evenements/{event.pk}/inscrits.csv").status_code == 200
    with schema_context(community_a.schema_name):
        line = AuditEvent.objects.filter(action="events.registrations_exported").latest("pk")
    assert _count("alpha", "events.registrations_exported") == before + 1
    assert (line.actor_id, line.target_id, line.target_label) == (alice.pk, str(event.pk), "Soirée diabète")
