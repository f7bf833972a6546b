"""The site menu lists each page once: the platform's own pages win over a team page of the same
address, for new CPTS and, through a migration, for those created before."""

import importlib
import re

from django.apps import apps
from django.test import Client
from django_tenants.utils import schema_context

from apps.site.models import Page
from tests.conftest import HOST_A

migration = importlib.import_module("apps.site.migrations.0003_projet_de_sante_page")
DEFAULT = migration.default_page()


def links(html: str, text: str) -> list[str]:
    """The href of every link whose visible text contains ``text`` (case-insensitive)."""
    return [
        href
        for href, inner in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', html, flags=re.S)
        if text.lower() in re.sub(r"<[^>]+>", "", inner).lower()
    ]


def test_projet_de_sante_appears_once_in_the_navigation_and_leads_to_the_real_page(community_a):
    html = Client(HTTP_HOST=HOST_A).get("/").text
    assert links(html, "projet de santé") == ["/projet-de-sante/"]
    assert 'href="/pages/la-cpts/"' in html  # the other team pages are still in the menu


def test_a_team_page_at_a_platform_address_stays_out_of_the_menu(community_a, on_commit):
    with schema_context(community_a.schema_name), on_commit():
        # As saved before the menu knew (or through the admin): published, in the main menu.
        Page.objects.create(
            slug="projet-de-sante",
            title="Notre projet de santé",
            body="<p>x</p>",
            is_published=True,
            menu="main",
        )
        Page.objects.create(slug="faq", title="Questions", body="<p>x</p>", is_published=True, menu="footer")
        Page.objects.create(
            slug="partenaires-locaux", title="Partenaires", body="<p>x</p>", is_published=True
        )
    html = Client(HTTP_HOST=HOST_A).get("/").text
    assert links(html, "projet de santé") == ["/projet-de-sante/"]
    assert 'href="/pages/faq/"' not in html
    assert 'href="/pages/partenaires-locaux/"' in html


def test_the_team_cannot_put_a_page_at_a_platform_address_in_a_menu(community_a, alice, client_as):
    team = client_as(alice, HOST_A)
    fields = {
        "title": "Projet de santé",
        "slug": "",
        "summary": "",
        "body": "<p>Bref</p>",
        "is_published": "on",
    }
    refused = team.post("/equipe/site/pages/nouvelle/", {**fields, "menu": "main", "position": 0})
    assert refused.status_code == 200
    assert "La plateforme a déjà sa propre page à l&#x27;adresse /projet-de-sante/" in refused.text
    with schema_context(community_a.schema_name):
        assert not Page.objects.filter(slug="projet-de-sante").exists()
    kept_out = team.post("/equipe/site/pages/nouvelle/", {**fields, "menu": "none", "position": 0})
    assert kept_out.status_code == 302
    with schema_context(community_a.schema_name):
        assert Page.objects.get(slug="projet-de-sante").menu == "none"


def test_the_old_address_of_the_default_page_redirects_to_the_real_one(community_a):
    response = Client(HTTP_HOST=HOST_A).get("/pages/projet-de-sante/")
    assert response.status_code == 301 and response["Location"] == "/projet-de-sante/"
    assert Client(HTTP_HOST=HOST_A).get("/pages/inconnue/").status_code == 404


def test_the_migration_deletes_the_untouched_default_page_of_an_existing_cpts(community_a):
    with schema_context(community_a.schema_name):
        Page.objects.create(**DEFAULT)  # as every CPTS created before the fix had it
        migration.retire_default_page(apps, None)
        assert not Page.objects.filter(slug="projet-de-sante").exists()
        assert Page.objects.filter(slug="la-cpts", menu="main", is_published=True).exists()


def test_the_migration_keeps_a_page_the_team_edited_but_takes_it_out_of_the_menu(community_a):
    with schema_context(community_a.schema_name):
        Page.objects.create(**{**DEFAULT, "body": "<p>Notre projet, écrit par l'équipe.</p>"})
        migration.retire_default_page(apps, None)
        migration.retire_default_page(apps, None)  # runs on every schema, maybe twice: same result
        page = Page.objects.get(slug="projet-de-sante")
    assert (page.menu, page.is_published, page.body) == (
        "none",
        True,
        "<p>Notre projet, écrit par l'équipe.</p>",
    )
    served = Client(HTTP_HOST=HOST_A).get("/pages/projet-de-sante/")
    assert served.status_code == 200 and "Notre projet, écrit par" in served.text
