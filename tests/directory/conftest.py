from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.territory import services as territory_services
from apps.territory.models import TerritoryCommune
from tenants.actors import SYSTEM

# Paris (arrondissements in the files), Saint-Étienne, Ajaccio (Corsica), Les Abymes (Guadeloupe).
TERRITORY_A = ["75056", "42218", "2A004", "97101"]


@pytest.fixture
def territory_a(community_a):
    with schema_context(community_a.schema_name):
        TerritoryCommune.objects.all().delete()
        territory_services.add_communes(actor=SYSTEM, codes=TERRITORY_A)
    return community_a
