"""Which year a join buys: the civil year, and in its last two months the choice of the next one;
« Renouveler » only for a member with an earlier year paid and a year left to pay."""

from __future__ import annotations

import re
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

from django.test import Client

from apps.dues import services
from apps.dues.calendar import join_years, membership_year
from apps.dues.models import Dues, DuesSettings, Tier
from tests.conftest import HOST_A
from tests.dues.conftest import in_schema, join_data

PARIS = ZoneInfo("Europe/Paris")
DECEMBER_3 = datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)
OCTOBER_15 = datetime(2026, 10, 15, 10, 0, tzinfo=PARIS)


def at(moment):
    """Django's clock set to ``moment`` (what a page rendered that day sees)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_the_last_two_months_offer_the_next_year_beside_the_civil_year(db):
    row = DuesSettings(next_year_from_month=None, next_year_from_day=None)
    assert join_years(row, datetime(2026, 10, 31, 23, 59, tzinfo=PARIS)) == [2026]
    assert join_years(row, datetime(2026, 11, 1, 0, 0, tzinfo=PARIS)) == [2026, 2027]
    assert join_years(row, DECEMBER_3) == [2026, 2027]
    assert join_years(row, datetime(2027, 1, 1, 0, 0, tzinfo=PARIS)) == [2027]
    # A switch date already passed: the next year only (the CPTS's own rule), as before.
    row = DuesSettings(next_year_from_month=12, next_year_from_day=1)
    assert membership_year(row, DECEMBER_3) == 2027
    assert join_years(row, DECEMBER_3) == [2027]
    assert join_years(row, datetime(2026, 11, 15, tzinfo=PARIS)) == [2026, 2027]


def test_a_join_on_3_december_says_which_year_is_bought_and_offers_the_next(community_a, bob, client_as):
    client = client_as(bob, HOST_A)
    with at(DECEMBER_3):
        page = client.get("/adhesion/")
    assert page.status_code == 200
    text = page.text
    assert "se termine le 31 décembre 2026, dans 28 jours" in text
    assert 'name="join-year" value="2026"' in text and 'name="join-year" value="2027"' in text
    assert "2027 — du 1er janvier au 31 décembre 2027" in text
    with in_schema(community_a):
        classic = Tier.objects.get(name="Adhésion classique")
    with at(DECEMBER_3):
        response = client.post("/adhesion/", {**join_data(classic.pk), "join-year": "2027"})
    assert response.status_code == 302, response.content
    with in_schema(community_a):
        assert list(Dues.objects.filter(membership__user=bob).values_list("year", flat=True)) == [2027]
    with at(DECEMBER_3):
        pay_page = client.get(response["Location"])
    assert "Régler ma cotisation 2027" in pay_page.text


def test_a_year_outside_the_offer_is_refused_under_the_field(community_a, bob, client_as):
    client = client_as(bob, HOST_A)
    with in_schema(community_a):
        classic = Tier.objects.get(name="Adhésion classique")
    with at(DECEMBER_3):
        page = client.post("/adhesion/", {**join_data(classic.pk), "join-year": "2029"})
    assert page.status_code == 200
    assert "Choisissez 2026 ou 2027." in page.text
    with in_schema(community_a):
        assert not Dues.objects.filter(membership__user=bob).exists()


def test_in_october_the_join_page_has_no_year_choice_and_buys_the_civil_year(community_a, bob, client_as):
    client = client_as(bob, HOST_A)
    with at(OCTOBER_15):
        page = client.get("/adhesion/")
    assert 'name="join-year"' not in page.text
    assert "Adhésion valable du 1<sup>er</sup> janvier au 31 décembre 2026" in page.text


def test_the_public_join_page_in_december_names_both_years(community_a):
    client = Client(HTTP_HOST=HOST_A)
    with at(DECEMBER_3):
        page = client.get("/adhesion/")
    assert "se termine le 31 décembre 2026, dans 28 jours" in page.text
    assert "adhérer dès maintenant pour 2027" in page.text


def test_the_team_settings_explain_the_change_date(community_a, alice, client_as):
    page = client_as(alice, HOST_A).get("/equipe/cotisations/reglages/")
    assert "Sans date de bascule" in page.text
    assert "novembre et décembre" in page.text


def _paid(community, user, year, actor):
    with in_schema(community):
        tier = Tier.objects.get(name="Adhésion classique")
        dues = services.join(actor=user, tier=tier, eligibility_category="liberal", consent=True, year=year)
        services.record_offline_payment(actor=actor, dues=dues, method="cheque")


def test_renew_is_not_offered_without_dues_nor_when_the_year_is_paid(community_a, alice, bob, client_as):
    # The team's admin, no dues at all.
    with at(OCTOBER_15):
        page = client_as(alice, HOST_A).get("/mon-espace/")
    assert "Renouveler pour" not in page.text
    # Bob paid 2026; in October there is nothing to renew.
    _paid(community_a, bob, 2026, alice)
    client = client_as(bob, HOST_A)
    with at(OCTOBER_15):
        page = client.get("/mon-espace/")
        renew = client.get("/adhesion/renouveler/")
    assert "Renouveler pour" not in page.text
    assert renew.status_code == 302


def test_renew_offers_the_next_unpaid_year(community_a, alice, bob, client_as):
    _paid(community_a, bob, 2025, alice)
    client = client_as(bob, HOST_A)
    with at(OCTOBER_15):
        assert "Renouveler pour 2026" in client.get("/mon-espace/").text
    _paid(community_a, bob, 2026, alice)
    with at(DECEMBER_3):
        assert "Renouveler pour 2027" in client.get("/mon-espace/").text
        join_page = client.get("/adhesion/").text
        assert "2026 — du 1er janvier au 31 décembre 2026 (déjà réglée)" in join_page
        assert re.search(r'value="2027"[^>]*checked', join_page)
        page = client.get("/adhesion/renouveler/?annee=2027")
        assert "Renouveler mon adhésion pour 2027" in page.text
        response = client.post("/adhesion/renouveler/", {"year": "2027"})
    assert response.status_code == 302
    with in_schema(community_a):
        assert Dues.objects.get(membership__user=bob, year=2027).status == "pending"
