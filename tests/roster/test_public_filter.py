"""The public SNP page at size: a commune filter (French label, a bad value shows everything with
a reason, never a 500), a page at a time, the emergency numbers on every page, each CPTS's own
points only; its queries do not grow with the points of the week."""

from __future__ import annotations

from datetime import time, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.geo.models import Commune
from apps.roster.models import Slot
from apps.roster.selectors import PUBLIC_PAGE_SIZE
from tests.conftest import HOST_A, HOST_B
from tests.roster.test_roster import BESANCON, SAINT_ETIENNE, _slot
from tests.roster.test_roster import roster_a as roster_a  # noqa: F401 - the fixture, shared

PUBLIC = "/soins-non-programmes/"


def _points(bob, count: int, commune: str, name: str) -> None:
    """``count`` one-off points over the next days (never today, so the hour does not matter)."""
    place = Commune.objects.get(code=commune)
    with schema_context("alpha"):
        for n in range(count):
            day = timezone.localdate() + timedelta(days=1 + n % 6)
            _slot(bob, date=day, commune=place, place_name=f"{name} {n}", starts_at=time(7 + n % 4))


def test_the_public_page_filters_by_a_commune_of_the_territory(roster_a, bob):
    _points(bob, 2, SAINT_ETIENNE, "Point Loire")
    _points(bob, 2, BESANCON, "Point Doubs")
    client = Client(HTTP_HOST=HOST_A)
    everything = client.get(PUBLIC).text
    assert "Point Loire 0" in everything and "Point Doubs 0" in everything
    assert '<label for="id_commune">Commune</label>' in everything
    assert ">Toutes les communes</option>" in everything and ">Besançon</option>" in everything
    only = client.get(PUBLIC, {"commune": BESANCON}).text
    assert "Point Doubs 0" in only and "Point Doubs 1" in only and "Point Loire" not in only
    assert "2 créneaux annoncés à Besançon" in only
    assert "116 117" in only


def test_a_bad_commune_shows_every_point_with_a_french_reason(roster_a, bob):
    _points(bob, 1, SAINT_ETIENNE, "Point Loire")
    client = Client(HTTP_HOST=HOST_A)
    for value in ("99999", "75056", "abc", "x" * 300, "42218' OR 1=1"):
        response = client.get(PUBLIC, {"commune": value})
        assert response.status_code == 200, value
        page = response.content.decode()
        assert "Point Loire 0" in page, value
        assert (
            "Cette commune n&#x27;est pas sur le territoire de la CPTS : toutes les communes sont affichées."
            in page
        )
    assert client.get(PUBLIC, {"commune": "\x00"}).status_code == 400


def test_the_week_is_shown_a_page_at_a_time_and_a_bad_page_number_is_never_an_error(roster_a, bob):
    _points(bob, PUBLIC_PAGE_SIZE + 5, SAINT_ETIENNE, "Point")
    client = Client(HTTP_HOST=HOST_A)
    first = client.get(PUBLIC).text
    assert first.count('<li class="card">') == PUBLIC_PAGE_SIZE
    assert "Page 1 sur 2" in first and "page=2" in first and "116 117" in first
    second = client.get(PUBLIC, {"page": "2"}).text
    assert second.count('<li class="card">') == 5 and "116 117" in second
    filtered = client.get(PUBLIC, {"commune": SAINT_ETIENNE}).text
    assert f"commune={SAINT_ETIENNE}&amp;page=2" in filtered
    for value in ("abc", "0", "-1", "1.5", "99999"):
        response = client.get(PUBLIC, {"page": value})
        assert response.status_code == 200, value
        assert response.content.decode().count('<li class="card">') in (PUBLIC_PAGE_SIZE, 5)


def test_the_public_page_reads_a_page_whatever_the_week_holds(roster_a, bob):
    client = Client(HTTP_HOST=HOST_A)
    _points(bob, 3, SAINT_ETIENNE, "Point")
    client.get(PUBLIC)
    with CaptureQueriesContext(connection) as few:
        client.get(PUBLIC)
    _points(bob, 60, BESANCON, "Autre")
    with CaptureQueriesContext(connection) as many:
        page = client.get(PUBLIC)
    assert page.text.count('<li class="card">') == PUBLIC_PAGE_SIZE
    assert len(many.captured_queries) == len(few.captured_queries)
    reads = [q["sql"] for q in many.captured_queries if "generate_series" in q["sql"]]
    assert len(reads) == 2 and any("LIMIT" in sql for sql in reads), reads


def test_another_cpts_never_shows_these_points_even_when_asked_for_this_commune(roster_a, bob):
    _points(bob, 2, SAINT_ETIENNE, "Point Loire")
    other = Client(HTTP_HOST=HOST_B).get(PUBLIC, {"commune": SAINT_ETIENNE})
    assert other.status_code == 200
    assert "Point Loire" not in other.text
    with schema_context("alpha"):
        assert Slot.objects.count() == 2
