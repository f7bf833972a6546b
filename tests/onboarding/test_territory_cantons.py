"""The territory step of « Premiers pas » adds a whole canton too (found by the search, or typed by
code or exact name), with French errors for an unknown, ambiguous or empty canton."""

from __future__ import annotations

from django_tenants.utils import schema_context

from apps.geo.models import Canton
from apps.territory.models import TerritoryCommune
from tests.conftest import HOST_A

SULLY_CANTON = "4521"
ADD = "/equipe/premiers-pas/territoire/ajouter/"


def _codes(community) -> set[str]:
    with schema_context(community.schema_name):
        return set(TerritoryCommune.objects.values_list("commune_id", flat=True))


def _empty(community) -> None:
    with schema_context(community.schema_name):
        TerritoryCommune.objects.all().delete()


def test_the_search_offers_the_canton_and_its_button_adds_every_commune(community_a, alice, client_as):
    _empty(community_a)
    client = client_as(alice, HOST_A)
    members = set(Canton.objects.get(code=SULLY_CANTON).members)
    found = client.get(
        "/equipe/premiers-pas/territoire/recherche/", {"q": "Ouzouer-sur-Loire"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Canton de Sully-sur-Loire" in found
    assert f'name="canton" value="{SULLY_CANTON}"' in found
    assert f"Ajouter ses {len(members)} communes" in found

    added = client.post(ADD, {"canton": SULLY_CANTON}, HTTP_HX_REQUEST="true")
    assert added.status_code == 200
    assert f"{len(members)} commune(s) ajoutée(s)." in added.content.decode()
    assert _codes(community_a) == members


def test_a_canton_typed_by_its_exact_name_is_added(community_a, alice, client_as):
    _empty(community_a)
    response = client_as(alice, HOST_A).post(ADD, {"canton": "sully sur loire"}, follow=True)
    assert response.status_code == 200
    assert "45244" in _codes(community_a)
    assert "commune(s) ajoutée(s)." in response.content.decode()


def test_an_unknown_ambiguous_or_empty_canton_is_refused_in_french_under_the_field(
    community_a, alice, client_as
):
    _empty(community_a)
    client = client_as(alice, HOST_A)
    for value, message in (
        ("9999", "Canton inconnu"),
        ("Saint-Vallier", "Plusieurs cantons portent ce nom : précisez le code"),
        ("", "Indiquez un canton"),
    ):
        page = client.post(ADD, {"canton": value})
        assert page.status_code == 400, value
        text = page.content.decode()
        assert 'id="territory-canton-error"' in text and message in text, value
        assert 'aria-describedby="territory-canton-error"' in text
        if value:
            assert f'value="{value}"' in text  # what was typed is kept
        fragment = client.post(ADD, {"canton": value}, HTTP_HX_REQUEST="true")
        assert fragment.status_code == 400 and message in fragment.content.decode(), value
    assert _codes(community_a) == set()


def test_only_the_admins_of_this_cpts_add_a_canton(community_a, bob, charlie, client_as):
    before = _codes(community_a)
    assert client_as(bob, HOST_A).post(ADD, {"canton": SULLY_CANTON}).status_code == 403
    assert client_as(charlie, HOST_A).post(ADD, {"canton": SULLY_CANTON}).status_code == 404
    assert _codes(community_a) == before
