"""The desk's world: alpha's territory (three real communes of the Loiret; their real centres
come with the communes reference), the module switched on under declared HDS hosting, a team
member holding « accès aux soins » (dora, second factor passed), one without it (tina), two GP
members (gaston, ginette)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from apps.access_care import services
from apps.access_care.models import DeskPermission, DeskSettings
from apps.members.services import grant_role
from apps.professionals.models import ProfessionalProfile
from apps.territory.models import TerritoryCommune
from tests.conftest import HOST_A, PASSWORD, verified_operator_client

SULLY, SAINT_BENOIT, OUZOUER = "45315", "45270", "45244"
ORLEANS = "45234"  # outside alpha's territory
TERRITORY = (SULLY, SAINT_BENOIT, OUZOUER)


@dataclass
class Desk:
    dora: object
    tina: object
    gaston: object
    ginette: object


def make_gp(email: str, first: str, last: str, commune: str, postcode: str):
    user = get_user_model().objects.create_user(email, PASSWORD, first_name=first, last_name=last)
    ProfessionalProfile.objects.create(
        user=user,
        profession="10",
        identifier_type="none",
        practice_mode="L",
        practice_place="Cabinet médical",
        commune=commune,
        postcode=postcode,
    )
    grant_role(user=user, role="member", dues_exempt=True)
    return user


def build_desk(schema: str) -> Desk:
    """Committed or not, depending on the caller's transaction (see the two fixtures)."""
    users = get_user_model().objects
    with schema_context(schema):
        for code in TERRITORY:
            TerritoryCommune.objects.get_or_create(commune_id=code)
        DeskSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
        dora = users.create_user("dora@test.fr", PASSWORD, first_name="Dora", last_name="Desk")
        grant_role(user=dora, role="team")
        DeskPermission.objects.create(user=dora)
        tina = users.create_user("tina.desk@test.fr", PASSWORD, first_name="Tina", last_name="Team")
        grant_role(user=tina, role="team")
        gaston = make_gp("gaston@test.fr", "Gaston", "Généraliste", "Sully-sur-Loire", "45600")
        ginette = make_gp("ginette@test.fr", "Ginette", "Médecin", "Ouzouer-sur-Loire", "45570")
    return Desk(dora=dora, tina=tina, gaston=gaston, ginette=ginette)


@pytest.fixture
def hds(settings):
    settings.HDS_HOSTING = True
    return settings


@pytest.fixture
def desk(community_a, hds) -> Desk:
    return build_desk(community_a.schema_name)


@pytest.fixture
def dora_client(desk):
    return verified_operator_client(desk.dora, HOST_A)


def request_data(**overrides) -> services.RequestData:
    fields = {
        "last_name": "Lefèvre",
        "first_name": "Jeanne",
        "birth_date": date(1948, 5, 17),
        "commune": SULLY,
        "phone": "06 12 34 56 78",
        "email": "jeanne.lefevre@example.fr",
        "criteria": ("ald",),
    }
    fields.update(overrides)
    return services.RequestData(**fields)


def submit(**overrides):
    return services.submit_public_request(data=request_data(**overrides), consent=True, client_ip="10.1.1.1")
