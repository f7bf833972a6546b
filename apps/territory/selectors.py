"""Reads of the current CPTS's territory. Every function assumes the connection is set to the
CPTS's schema (request.tenant or a TenantTask); communes come from the shared reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from apps.geo.models import Commune
from apps.geo.selectors import codes_within

from .models import AciSize, TerritoryCommune, TerritorySettings

# Population thresholds of the ACI sizes (CPTS.md §5, boundaries to be confirmed: overridable).
ACI_THRESHOLDS = ((40_000, AciSize.SIZE_1), (80_000, AciSize.SIZE_2), (175_000, AciSize.SIZE_3))


@dataclass(frozen=True)
class TerritoryCounters:
    """What the home page shows. ``aci_size`` is the override when set, else the computed size."""

    communes: int
    inhabitants: int
    professionals: int
    aci_size: int | None
    aci_size_computed: int | None
    aci_size_overridden: bool


def compute_aci_size(inhabitants: int) -> int | None:
    if inhabitants <= 0:
        return None
    for limit, size in ACI_THRESHOLDS:
        if inhabitants < limit:
            return int(size)
    return int(AciSize.SIZE_4)


def list_territory_communes() -> list[Commune]:
    """The communes (and arrondissements) the team picked, by name."""
    codes = TerritoryCommune.objects.values_list("commune_id", flat=True)
    return list(Commune.objects.filter(code__in=list(codes)).order_by("name", "code"))


def list_territory_commune_names() -> list[Commune]:
    """The communes the team picked, by name, with their code and name only. Two index reads: as a
    subquery the planner hashes the whole 35,000-row reference (8 ms against 0.2)."""
    picked = list(TerritoryCommune.objects.values_list("commune_id", flat=True))
    return list(Commune.objects.filter(code__in=picked).only("code", "name").order_by("name", "code"))


def get_territory_codes() -> list[str]:
    return list(TerritoryCommune.objects.values_list("commune_id", flat=True))


def population_of(communes: list[Commune]) -> tuple[int, int]:
    """(communes, inhabitants) of a set of picked communes, counting nobody twice.

    An arrondissement whose city is also picked adds nothing (the city's population includes it);
    arrondissements picked without their city count as one commune between them.
    """
    picked = {c.code for c in communes}
    cities: set[str] = set()
    inhabitants = 0
    for commune in communes:
        if commune.is_arrondissement:
            if commune.parent_code in picked:
                continue
            cities.add(commune.parent_code)
        else:
            cities.add(commune.code)
        inhabitants += commune.population
    return len(cities), inhabitants


def get_settings() -> TerritorySettings:
    return TerritorySettings.objects.filter(pk=1).first() or TerritorySettings(pk=1)


# The directory app registers how it counts the territory's professionals (it depends on this app,
# not the reverse: apps form no cycle). Without a directory, the count is 0 and the home page
# hides a zero counter.
_professionals_counters: list[Callable[[], int]] = []


def register_professionals_counter(counter: Callable[[], int]) -> None:
    """Called once by an app that lists health professionals (``DirectoryConfig.ready``)."""
    if counter not in _professionals_counters:
        _professionals_counters.append(counter)


def count_professionals() -> int:
    """Health professionals who practise in the territory, as counted by the registered apps."""
    return sum(counter() for counter in _professionals_counters)


def get_home_counters() -> TerritoryCounters:
    """Counters of the CPTS home page: communes, inhabitants, health professionals, ACI size."""
    communes, inhabitants = population_of(list_territory_communes())
    computed = compute_aci_size(inhabitants)
    override = get_settings().aci_size_override
    return TerritoryCounters(
        communes=communes,
        inhabitants=inhabitants,
        professionals=count_professionals(),
        aci_size=override or computed,
        aci_size_computed=computed,
        aci_size_overridden=override is not None,
    )


def expand_codes(codes: list[str]) -> set[str]:
    """INSEE codes that belong to the territory as found in national registers and on places: the
    picked codes, the arrondissements of a picked city, former/delegated codes of picked communes
    (``apps.geo.selectors.codes_within``; the city of a picked arrondissement is NOT added)."""
    return codes_within(codes)


def get_territory_place_codes() -> set[str]:
    """Every commune code a place of this territory may carry (see ``expand_codes``)."""
    return expand_codes(get_territory_codes())


def territory_queryset() -> QuerySet[TerritoryCommune]:
    return TerritoryCommune.objects.all()
