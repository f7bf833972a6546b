"""A place in a Paris, Lyon or Marseille arrondissement (or under a former commune code) belongs to
its city wherever the territory is used: import, the directory's commune filter (page and API),
the counters, places typed by hand or from a listing request."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from apps.directory import services
from apps.directory.importing import run_import
from apps.directory.models import Entry, ListingRequest
from apps.directory.search import search_entries
from apps.geo.selectors import codes_within, commune_for_address, reference_codes
from apps.territory import selectors
from apps.territory import services as territory_services
from apps.territory.models import TerritoryCommune
from tenants.actors import SYSTEM
from tests.conftest import HOST_A
from tests.factories.directory_files import rpps_file, rpps_number, rpps_row


@pytest.mark.parametrize(
    ("city", "first", "last", "count"),
    [("75056", 75101, 75120, 20), ("69123", 69381, 69389, 9), ("13055", 13201, 13216, 16)],
)
def test_a_city_holds_its_arrondissements(world, db, city, first, last, count):
    within = codes_within([city])
    arrondissements = {str(code) for code in range(first, last + 1)}
    assert arrondissements <= within and len(arrondissements) == count
    # An arrondissement holds itself only, not its city nor its sisters.
    assert codes_within([str(first)]) == {str(first)}


def test_a_former_code_designates_todays_commune_and_an_arrondissement_stays_itself(world, db):
    # 42190 was merged into Saint-Étienne (42218).
    assert reference_codes(["42190", "75115", "42218", "99999"]) == {
        "42190": "42218",
        "75115": "75115",
        "42218": "42218",
    }
    assert commune_for_address("75015", "Paris").code == "75115"
    assert commune_for_address("69001").code == "69381"
    assert commune_for_address("42000", "Saint-Étienne").code == "42218"


def _territory(community, codes):
    with schema_context(community.schema_name):
        TerritoryCommune.objects.all().delete()
        territory_services.add_communes(actor=SYSTEM, codes=codes)


def _import(community, tmp_path, rows):
    path = tmp_path / "ps.txt"
    path.write_bytes(rpps_file(rows))
    with schema_context(community.schema_name):
        return run_import(actor=None, rpps_path=str(path))["rpps"]


ROWS = [
    rpps_row(rpps=rpps_number(401), last_name="Martin", first_name="Hélène", commune="75115", postcode="75015",
             city="Paris 15e"),
    rpps_row(rpps=rpps_number(402), last_name="Petit", first_name="Jules", commune="75120", postcode="75020",
             city="Paris 20e"),
    # Saint-Étienne under one of its former commune codes.
    rpps_row(rpps=rpps_number(403), last_name="Roche", first_name="Anne", commune="42190", postcode="42230",
             city="Saint-Victor-sur-Loire"),
]  # fmt: skip


def test_the_commune_filter_of_a_city_finds_its_arrondissements_and_former_codes(community_a, tmp_path):
    _territory(community_a, ["75056", "42218"])
    report = _import(community_a, tmp_path, ROWS)
    assert report["created"] == 3
    with schema_context(community_a.schema_name):
        assert Entry.objects.get(identifier=rpps_number(403)).places.get().commune_id == "42218"
        assert sorted(e.name for e in search_entries(commune="75056")) == ["Hélène Martin", "Jules Petit"]
        assert [e.name for e in search_entries(commune="42218")] == ["Anne Roche"]
        assert [e.name for e in search_entries("martin", commune="75056")] == ["Hélène Martin"]
    client = Client(HTTP_HOST=HOST_A)
    page = client.get("/annuaire/", {"commune": "75056"}).content.decode()
    assert "Hélène Martin" in page and "Jules Petit" in page and "Anne Roche" not in page
    api = client.get("/api/v1/directory/", {"commune": "75056"}).json()
    assert sorted(item["name"] for item in api["results"]) == ["Hélène Martin", "Jules Petit"]


def test_a_territory_of_one_arrondissement_keeps_to_it(community_a, tmp_path):
    _territory(community_a, ["75115"])
    report = _import(community_a, tmp_path, ROWS)
    assert (report["created"], report["outside_territory"]) == (1, 2)
    with schema_context(community_a.schema_name):
        assert [e.name for e in search_entries(commune="75115")] == ["Hélène Martin"]
        assert selectors.get_home_counters().professionals == 1


def test_the_professionals_counter_counts_the_arrondissements_of_a_city_of_the_territory(community_a):
    _territory(community_a, ["75056"])
    with schema_context(community_a.schema_name):
        for name, place in [
            ("Paris 12e", {"postcode": "75012", "city": "Paris", "commune_id": "75112"}),
            ("Paris 15e", {"postcode": "75015", "city": "Paris"}),
            ("Lyon 1er", {"postcode": "69001", "city": "Lyon", "commune_id": "69381"}),
            ("Sans commune", {"address": "Cabinet mobile"}),
        ]:
            services.create_entry(
                actor=SYSTEM,
                fields={"kind": "professional", "family": "liberal", "name": name, "profession": "Infirmier"},
                place=place,
            )
        # Lyon is outside the territory; a place with no known commune cannot be outside it.
        assert selectors.get_home_counters().professionals == 3
        assert Entry.objects.get(name="Paris 15e").places.get().commune_id == "75115"


def test_an_accepted_listing_request_in_an_arrondissement_is_found_under_its_city(community_a, alice):
    _territory(community_a, ["75056"])
    with schema_context(community_a.schema_name):
        listing = ListingRequest.objects.create(
            kind="professional", name="Inès Garcia", profession="Orthophoniste", address="5 rue Lecourbe",
            postcode="75015", city="Paris", email="ines@exemple.fr",
        )  # fmt: skip
        services.decide_listing_request(actor=alice, listing=listing, accept=True)
        entry = Entry.objects.get(name="Inès Garcia")
        assert entry.places.get().commune_id == "75115"
        assert [e.name for e in search_entries(commune="75056")] == ["Inès Garcia"]
