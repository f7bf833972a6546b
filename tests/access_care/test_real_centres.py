"""GPs are ranked by the real distance between commune centres: the shipped reference
(``apps/geo/data/centres.csv.gz``) is loaded with the communes, nothing typed by hand."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.access_care import selectors, services
from apps.geo.models import CommuneCentre
from tests.access_care.conftest import OUZOUER, SAINT_BENOIT, SULLY, submit


def _declare(gp, places: int, commune: str):
    return services.declare_capacity(
        actor=gp, places=places, groups=[], communes=[], practice_commune=commune
    )


def test_the_desk_ranks_gps_by_the_real_distance_between_two_communes(desk, community_a):
    with schema_context(community_a.schema_name):
        # Ouzouer-sur-Loire has more places, but from Saint-Benoît-sur-Loire Sully is nearer
        # (town halls 7.2 km apart, against 13.9 km).
        _declare(desk.gaston, 1, SULLY)
        _declare(desk.ginette, 9, OUZOUER)
        request = submit(commune=SAINT_BENOIT)
        ranked = selectors.rank_gps_for([request])[request.pk]
    assert [c.gp.pk for c in ranked] == [desk.gaston.pk, desk.ginette.pk]
    assert ranked[0].distance_km == pytest.approx(7.2, abs=0.2)
    assert ranked[1].distance_km == pytest.approx(13.9, abs=0.2)


def test_a_gp_in_a_commune_without_a_centre_still_ranks_last(desk, community_a):
    CommuneCentre.objects.filter(code=SULLY).delete()
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 9, SULLY)
        _declare(desk.ginette, 1, OUZOUER)
        request = submit(commune=SAINT_BENOIT)
        ranked = selectors.rank_gps_for([request])[request.pk]
        from_nowhere = submit(commune=SULLY, last_name="Sans-centre")
        ranked_from_nowhere = selectors.rank_gps_for([from_nowhere])[from_nowhere.pk]
    assert [(c.gp.pk, c.distance_km is None) for c in ranked] == [
        (desk.ginette.pk, False),
        (desk.gaston.pk, True),
    ]
    # A person living in the commune without a centre: its own GP first (same commune), the
    # other at an unknown distance, listed all the same.
    assert [(c.gp.pk, c.distance_km) for c in ranked_from_nowhere] == [
        (desk.gaston.pk, 0.0),
        (desk.ginette.pk, None),
    ]
