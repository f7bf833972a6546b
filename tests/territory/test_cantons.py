"""A whole canton added to a territory at once, from the shipped cantons reference."""

from __future__ import annotations

from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.geo.models import Canton
from apps.territory.models import TerritoryCommune
from tests.conftest import HOST_A

SULLY_CANTON = "4521"


def _codes(community):
    with schema_context(community.schema_name):
        return set(TerritoryCommune.objects.values_list("commune_id", flat=True))


def test_a_team_member_adds_every_commune_of_a_canton_at_once(community_a, alice, client_as):
    with schema_context(community_a.schema_name):
        TerritoryCommune.objects.all().delete()
    members = set(Canton.objects.get(code=SULLY_CANTON).members)
    response = client_as(alice, HOST_A).post(
        "/equipe/territoire/canton/", {"canton": SULLY_CANTON}, follow=True
    )
    assert response.status_code == 200
    assert f"Canton de Sully-sur-Loire : {len(members)} communes ajoutées." in response.content.decode()
    assert _codes(community_a) == members and "45315" in members


def test_a_canton_is_found_by_name_or_by_one_of_its_communes(community_a, alice, client_as):
    client = client_as(alice, HOST_A)
    by_commune = client.get("/equipe/territoire/recherche/", {"q": "Ouzouer-sur-Loire"}).content.decode()
    assert "Canton de Sully-sur-Loire (45, code 4521)" in by_commune
    assert "Ajouter le canton" in by_commune
    with schema_context(community_a.schema_name):
        TerritoryCommune.objects.all().delete()
    client.post("/equipe/territoire/canton/", {"canton": "sully sur loire"})
    assert "45244" in _codes(community_a)


def test_an_unknown_or_ambiguous_canton_is_refused_under_the_field_and_adds_nothing(
    community_a, alice, client_as
):
    with schema_context(community_a.schema_name):
        TerritoryCommune.objects.all().delete()
    client = client_as(alice, HOST_A)
    for value, message in (
        ("9999", "Canton inconnu"),
        ("", "Indiquez un canton."),
        ("Saint-Vallier", "Plusieurs cantons portent ce nom : précisez le code"),
        ("x" * 500, "au plus 200 caractères"),
    ):
        response = client.post("/equipe/territoire/canton/", {"canton": value})
        assert response.status_code == 200
        page = response.content.decode()
        assert message in page, value
        assert 'id="id_canton_error"' in page or "errorlist" in page
    assert _codes(community_a) == set()


def test_adding_a_canton_is_for_the_team_of_this_cpts_only(community_a, bob, charlie, client_as):
    with schema_context(community_a.schema_name):
        TerritoryCommune.objects.all().delete()
        audit_before = AuditEvent.objects.count()
    assert (
        client_as(bob, HOST_A).post("/equipe/territoire/canton/", {"canton": SULLY_CANTON}).status_code == 403
    )
    assert (
        client_as(charlie, HOST_A).post("/equipe/territoire/canton/", {"canton": SULLY_CANTON}).status_code
        == 404
    )
    assert _codes(community_a) == set()
    with schema_context(community_a.schema_name):
        assert AuditEvent.objects.count() == audit_before
