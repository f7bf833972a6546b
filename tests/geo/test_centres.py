"""The shipped commune centres and cantons: loaded with the communes, real coordinates."""

from __future__ import annotations

import pytest

from apps.geo.loading import load_cantons, load_centres
from apps.geo.models import Canton, CommuneCentre
from apps.geo.selectors import centres_of, distance_km

pytestmark = pytest.mark.usefixtures("world", "db")


def test_the_centres_of_nearly_every_commune_are_loaded_with_the_communes():
    assert CommuneCentre.objects.count() > 34_000
    centres = centres_of(["75056", "13055", "45315"])
    # Paris and Marseille town halls, 660 km apart as the crow flies.
    assert distance_km(centres["75056"], centres["13055"]) == pytest.approx(661, abs=3)
    assert centres["45315"] == pytest.approx((47.766, 2.376), abs=0.01)
    assert load_centres() == 0, "a second load of the same file is a no-op"


def test_the_cantons_name_their_communes():
    sully = Canton.objects.get(code="4521")
    assert sully.name == "Sully-sur-Loire"
    assert {"45315", "45270", "45244"} <= set(sully.members)
    # A city split between several cantons belongs to each of them.
    assert Canton.objects.filter(members__contains=["45234"]).count() >= 2
    assert load_cantons() == 0
