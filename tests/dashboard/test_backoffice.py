"""The back-office layout and the team dashboard (docs/ui.md): who sees which sidebar entries,
where the team lands, what the dashboard counts and where each figure leads."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context

from apps.backoffice import registry
from apps.members.services import grant_role
from apps.site.models import VisitorMessage
from tests.conftest import HOST_A, PASSWORD

DASHBOARD = "/equipe/tableau-de-bord/"


def _sidebar(html: str) -> list[str]:
    nav = html.split('<nav class="bo-nav"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", label)).strip() for label in links]


@pytest.fixture
def tina(community_a):
    user = get_user_model().objects.create_user("tina@test.fr", PASSWORD, first_name="Tina")
    with schema_context(community_a.schema_name):
        grant_role(user=user, role="team")
    return user


def test_the_sidebar_groups_every_team_page_by_job_and_shows_admin_entries_to_admins_only(
    alice, tina, client_as
):
    admin = client_as(alice, HOST_A).get(DASHBOARD)
    team = client_as(tina, HOST_A).get(DASHBOARD)
    assert admin.status_code == team.status_code == 200
    groups = re.findall(r'<p class="bo-group"[^>]*>([^<]+)</p>', admin.text)
    # The eleven jobs, plus « Accès aux soins », a group the access-to-care apps register.
    assert groups == [
        "Tableau de bord", "Adhérents", "Cotisations", "Accès aux soins", "Annuaire", "Territoire", "Site",
        "Événements", "Groupes", "Projet de santé", "ACI", "Réglages",
    ]  # fmt: skip
    assert "Double authentification" in _sidebar(admin.text)
    assert "Double authentification" not in _sidebar(team.text)
    assert _sidebar(admin.text)[0] == "Vue d'ensemble"
    assert 'aria-current="page"><svg' in admin.text.split('<nav class="bo-nav"', 1)[1].split("</nav>")[0]


def test_a_member_gets_403_and_another_cpts_404_on_the_dashboard(bob, charlie, client_as):
    assert client_as(bob, HOST_A).get(DASHBOARD).status_code == 403
    assert client_as(charlie, HOST_A).get(DASHBOARD).status_code == 404
    assert Client(HTTP_HOST=HOST_A).get(DASHBOARD).status_code == 302


def test_the_breadcrumbs_name_the_group_and_the_page(alice, client_as):
    html = client_as(alice, HOST_A).get("/equipe/site/actualites/").text
    crumbs = html.split('aria-label="Fil d\'Ariane">', 1)[1].split("</nav>", 1)[0]
    assert re.sub(r"<[^>]+>", " ", crumbs).split() == ["Site", "Actualités"]
    assert '<a href="/equipe/site/">Site</a>' in crumbs


def test_an_entry_registered_by_an_app_appears_without_touching_the_layout(alice, bob, client_as):
    registry.register_group("campaigns", "Campagnes", 65)
    registry.register_sidebar_entry(
        group="campaigns", label="Vaccination", icon="activity", url_name="site:faq", role="team"
    )
    try:
        html = client_as(alice, HOST_A).get(DASHBOARD).text
        assert "Campagnes" in re.findall(r'<p class="bo-group"[^>]*>([^<]+)</p>', html)
        assert "Vaccination" in _sidebar(html)
        with pytest.raises(ValueError):
            registry.register_sidebar_entry(group="nope", label="x", icon="x", url_name="site:faq")
    finally:
        registry._entries.pop(("campaigns", "site:faq"))
        registry._groups.pop("campaigns")


def test_a_registered_dashboard_panel_is_shown_to_its_role_and_hidden_when_it_has_nothing(
    alice, tina, client_as
):
    shown = {"value": {"count": 3}}
    registry.register_dashboard_panel(
        key="test_panel",
        template="components/empty_state.html",
        context=lambda request: (
            {"title": f"Trois étapes sur {shown['value']['count']}"} if shown["value"] else None
        ),
        role="admin",
    )
    try:
        assert "Trois étapes sur 3" in client_as(alice, HOST_A).get(DASHBOARD).text
        assert "Trois étapes sur 3" not in client_as(tina, HOST_A).get(DASHBOARD).text
        shown["value"] = None
        assert 'id="panel-test_panel"' not in client_as(alice, HOST_A).get(DASHBOARD).text
    finally:
        registry._panels.pop("test_panel")


def test_the_team_lands_on_the_dashboard_after_signing_in_and_members_on_the_home_page(alice, bob):
    for user, landing in ((alice, DASHBOARD), (bob, "/")):
        client = Client(HTTP_HOST=HOST_A)
        response = client.post("/compte/connexion/", {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == landing
    asked = Client(HTTP_HOST=HOST_A).post(
        "/compte/connexion/?next=/equipe/site/", {"username": alice.email, "password": PASSWORD}
    )
    assert asked["Location"] == "/equipe/site/"


def test_the_dashboard_counts_what_waits_and_links_to_where_to_act(community_a, alice, client_as):
    with schema_context(community_a.schema_name):
        for n in range(2):
            VisitorMessage.objects.create(kind="contact", name="V", email=f"v{n}@test.fr", body="Bonjour")
    html = client_as(alice, HOST_A).get(DASHBOARD).text
    kpis = html.split('<ul class="kpis">', 1)[1].split("</ul>", 1)[0]
    inbox = kpis.split('href="/equipe/site/messages/"', 1)[1].split("</a>", 1)[0]
    assert '<span class="kpi-value">2</span>' in inbox and "messages du site en attente" in inbox
    # alice (admin) and bob (exempt) are à jour: the standing's own answer, not a recount.
    assert '<p class="big-number">2 <span>membres à jour sur 2</span></p>' in html
    assert "<svg" in html and 'role="img" aria-label="Cotisations à jour' in html
