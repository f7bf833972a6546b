"""Territory: the communes reference, picking communes, counters without double counting."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from apps.geo.loading import load_communes
from apps.geo.models import Commune
from apps.geo.selectors import search_communes
from apps.territory import selectors, services
from apps.territory.models import TerritoryCommune
from tenants.actors import SYSTEM
from tenants.models import Community


def test_the_shipped_reference_knows_every_current_commune_and_the_arrondissements(world, db):
    assert Commune.objects.filter(kind="commune").count() > 34_000
    assert Commune.objects.filter(kind="arrondissement").count() == 45
    paris = Commune.objects.get(code="75056")
    assert paris.name == "Paris" and paris.population > 2_000_000
    assert Commune.objects.get(code="75115").parent_code == "75056"
    assert Commune.objects.get(code="2A004").name == "Ajaccio"


def test_loading_the_reference_twice_changes_nothing(world, db):
    before = Commune.objects.count()
    assert load_communes() == 0
    assert Commune.objects.count() == before


@pytest.mark.parametrize(
    ("query", "expected_code"),
    [
        ("st etienne", "42218"),
        ("saint-étienne", "42218"),
        ("SAINT ETIENNE", "42218"),
        ("42000", "42218"),
        ("42218", "42218"),
        ("Besancon", "25056"),
        ("marseile", "13055"),
    ],
)
def test_communes_are_found_by_name_postcode_or_code(world, db, query, expected_code):
    assert expected_code in [c.code for c in search_communes(query)]


def _pick(community, codes):
    with schema_context(community.schema_name):
        TerritoryCommune.objects.all().delete()
        services.add_communes(actor=SYSTEM, codes=codes)
        return selectors.get_home_counters()


def test_paris_and_its_arrondissements_are_not_counted_twice(community_a):
    paris = Commune.objects.get(code="75056").population
    counters = _pick(community_a, ["75056", "75115", "75116"])
    assert counters.communes == 1
    assert counters.inhabitants == paris


def test_arrondissements_without_their_city_count_as_one_commune(community_a):
    lyon_1 = Commune.objects.get(code="69381").population
    lyon_2 = Commune.objects.get(code="69382").population
    counters = _pick(community_a, ["69381", "69382", "69266"])
    villeurbanne = Commune.objects.get(code="69266").population
    assert counters.communes == 2
    assert counters.inhabitants == lyon_1 + lyon_2 + villeurbanne


def test_the_aci_size_follows_the_population_and_can_be_overridden(community_a):
    counters = _pick(community_a, ["01001"])  # a village: size 1
    assert (counters.aci_size, counters.aci_size_overridden) == (1, False)
    counters = _pick(community_a, ["13055"])  # Marseille: size 4
    assert counters.aci_size == 4
    with schema_context(community_a.schema_name):
        services.set_aci_size(actor=SYSTEM, size=3)
        counters = selectors.get_home_counters()
        assert (counters.aci_size, counters.aci_size_computed, counters.aci_size_overridden) == (3, 4, True)
        assert Community.objects.get(pk=community_a.pk).aci_size == 3
        with pytest.raises(ValidationError):
            services.set_aci_size(actor=SYSTEM, size=5)


def test_unknown_codes_are_refused_and_nothing_is_added(community_a):
    with schema_context(community_a.schema_name):
        TerritoryCommune.objects.all().delete()
        with pytest.raises(ValidationError, match="99999"):
            services.add_communes(actor=SYSTEM, codes=["01001", "99999"])
        assert TerritoryCommune.objects.count() == 0


def test_thresholds_of_the_aci_sizes():
    assert [selectors.compute_aci_size(n) for n in (0, 39_999, 40_000, 79_999, 80_000, 174_999, 175_000)] == [
        None,
        1,
        2,
        2,
        3,
        3,
        4,
    ]
