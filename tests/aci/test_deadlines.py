"""Mission deadlines counted from the signature of the ACI contract."""

from datetime import date

import pytest
from django_tenants.utils import schema_context

from apps.aci import selectors, services
from apps.aci.deadlines import add_months, mission_deadlines
from apps.aci.models import ContractMission, ReferenceGrid


@pytest.mark.parametrize(
    ("signed", "months", "expected"),
    [
        (date(2024, 3, 15), 6, date(2024, 9, 15)),
        (date(2024, 3, 15), 18, date(2025, 9, 15)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # leap year: the 31st falls back to the last day
        (date(2022, 8, 31), 6, date(2023, 2, 28)),
        (date(2024, 11, 30), 12, date(2025, 11, 30)),
        (date(2024, 12, 1), 24, date(2026, 12, 1)),
    ],
)
def test_months_are_calendar_months_from_the_signature(signed, months, expected):
    assert add_months(signed, months) == expected


def test_deadlines_of_a_6_18_mission():
    deadlines = mission_deadlines(date(2025, 1, 31), 6, 18)
    assert (deadlines.start_by, deadlines.fully_deployed_by) == (date(2025, 7, 31), date(2026, 7, 31))


def test_a_mission_cannot_be_fully_deployed_before_it_starts():
    with pytest.raises(ValueError):
        mission_deadlines(date(2025, 1, 1), 12, 6)


def test_the_shipped_grid_is_loaded_as_data_and_marked_to_check(world, db):
    with schema_context("alpha"):
        grid = ReferenceGrid.objects.get(code="aci-cpts-2019-avenant-2")
        months = {m.mission: (m.start_months, m.full_months, m.mandatory) for m in grid.missions.all()}
        sizes = set(grid.amounts.values_list("size", flat=True))
    assert grid.verified is False
    assert months == {
        "access": (6, 18, True),
        "pathways": (12, 24, True),
        "prevention": (12, 24, True),
        "crisis": (6, 18, True),
        "quality": (12, 24, False),
        "support": (12, 24, False),
    }
    assert sizes == {1, 2, 3, 4}


def test_a_contract_gets_socle_missions_plus_chosen_optional_ones_with_computed_deadlines(world, db, alice):
    with schema_context("alpha"):
        grid = selectors.grid_for(date(2024, 4, 10))
        contract = services.create_contract(
            actor=alice, signed_on=date(2024, 4, 10), grid=grid, optional_missions=["quality"]
        )
        rows = {m.mission: m.deadlines for m in selectors.list_contract_missions(contract)}
    assert set(rows) == {"access", "pathways", "prevention", "crisis", "quality"}
    assert (rows["access"].start_by, rows["access"].fully_deployed_by) == (
        date(2024, 10, 10),
        date(2025, 10, 10),
    )
    assert (rows["crisis"].start_by, rows["crisis"].fully_deployed_by) == (
        date(2024, 10, 10),
        date(2025, 10, 10),
    )
    assert (rows["pathways"].start_by, rows["pathways"].fully_deployed_by) == (
        date(2025, 4, 10),
        date(2026, 4, 10),
    )
    assert rows["quality"].fully_deployed_by == date(2026, 4, 10)


def test_mission_state_follows_deadlines_and_recorded_dates(world, db, alice):
    with schema_context("alpha"):
        grid = selectors.grid_for(date(2024, 1, 1))
        contract = services.create_contract(actor=alice, signed_on=date(2024, 1, 15), grid=grid)
        access = ContractMission.objects.get(contract=contract, mission="access")
        assert access.state(date(2024, 7, 15)) == "upcoming"
        assert access.state(date(2024, 7, 16)) == "late_start"
        services.update_mission(actor=alice, mission=access, data={"started_on": date(2024, 6, 1)})
        assert access.state(date(2025, 7, 16)) == "late_deployment"
        services.update_mission(actor=alice, mission=access, data={"deployed_on": date(2025, 5, 1)})
        assert access.state(date(2025, 7, 16)) == "deployed"


def test_a_plain_member_cannot_record_the_contract(world, db, bob):
    from django.core.exceptions import PermissionDenied

    from apps.aci.models import Contract

    with schema_context("alpha"):
        with pytest.raises(PermissionDenied):
            services.create_contract(
                actor=bob, signed_on=date(2024, 1, 1), grid=selectors.grid_for(date(2024, 1, 1))
            )
        assert not Contract.objects.exists()


def test_the_contract_size_comes_from_the_territory_unless_the_contract_sets_it(world, db, alice):
    from apps.territory.models import TerritorySettings

    with schema_context("alpha"):
        grid = selectors.grid_for(date(2024, 1, 1))
        contract = services.create_contract(actor=alice, signed_on=date(2024, 1, 1), grid=grid)
        TerritorySettings.objects.update_or_create(pk=1, defaults={"aci_size_override": 3})
        from_territory = selectors.contract_size(contract, world.a)
        services.update_contract(actor=alice, contract=contract, data={"size_override": 2})
        from_contract = selectors.contract_size(contract, world.a)
    assert (from_territory, from_contract) == (3, 2)
