"""The team's week grid at size: its queries do not grow with the volunteers (their standing is
read together), and the pages render each occurrence without per-field template lookups."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.members.services import grant_role
from apps.roster import services
from apps.roster.models import RosterProfile
from tests.conftest import HOST_A, PASSWORD
from tests.roster.test_roster import _profile, _slot, _territory

GRID = "/equipe/snp/?semaine=2026-W50"


@pytest.fixture
def roster_a(community_a, alice, bob):
    _profile(bob)
    _profile(alice)
    _territory(community_a.schema_name)
    return community_a


def _volunteer(n: int):
    user = get_user_model().objects.create_user(f"volontaire{n}@test.fr", PASSWORD, last_name=f"V{n}")
    grant_role(user=user, role="member")
    _profile(user)
    RosterProfile.objects.update_or_create(professional=user, defaults={"accepts_gap_requests": True})
    return user


def test_the_grid_queries_do_not_grow_with_the_volunteers(roster_a, alice, bob, client_as):
    client = client_as(alice, HOST_A)
    with schema_context("alpha"):
        _slot(bob)
        _volunteer(0)
    client.get(GRID)
    with CaptureQueriesContext(connection) as one:
        page = client.get(GRID)
    assert page.status_code == 200
    with schema_context("alpha"):
        for n in range(1, 6):
            _volunteer(n)
        recipients = services.gap_request_recipients()
    with CaptureQueriesContext(connection) as six:
        page = client.get(GRID)
    assert page.status_code == 200
    assert len(six.captured_queries) == len(one.captured_queries)
    assert f"{len(recipients)} professionnel" in page.text


def test_the_grid_writes_each_occurrence_with_its_place_name_escaped(roster_a, alice, bob, client_as):
    with schema_context("alpha"):
        _slot(bob, place_name="Cabinet <b>Soleil</b> & fils")
    page = client_as(alice, HOST_A).get(GRID).text
    assert "<div>09:00–12:00 Cabinet &lt;b&gt;Soleil&lt;/b&gt; &amp; fils</div>" in page
    assert "<b>Soleil</b>" not in page
