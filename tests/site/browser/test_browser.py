"""A visitor and a team member use the real site in Chromium; axe-core checks accessibility."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import Resolver404, resolve
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.site.models import FaqItem, NewsItem, VisitorMessage
from apps.site.pagecache import invalidate_site
from tests.conftest import PASSWORD

from .conftest import run_axe

pytestmark = pytest.mark.browser


@pytest.fixture
def published_news(world, django_db_blocker):
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            item = NewsItem.objects.create(
                title="Assises du soin non programmé",
                slug="assises-du-snp-navigateur",
                summary="Urgences, SAMU, maison médicale de garde et libéraux réunis pour une journée.",
                body="<p>Trois difficultés communes ont été relevées.</p><ul><li>L'information entre "
                "professionnels.</li><li>L'orientation des patients.</li></ul>",
                status=NewsItem.Status.PUBLISHED,
                publish_at=timezone.now() - timedelta(hours=2),
            )
            invalidate_site()
        connection.set_schema_to_public()
    yield item
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            NewsItem.objects.filter(pk=item.pk).delete()
            VisitorMessage.objects.filter(email="visiteuse@exemple.fr").delete()
            invalidate_site()
        connection.set_schema_to_public()


def test_a_visitor_reads_the_home_page_a_news_item_and_sends_the_contact_form(
    page, site_url, published_news, world, django_db_blocker
):
    page.goto(site_url("alpha"))
    assert page.locator("h1").inner_text() == "CPTS Alpha"
    assert page.get_by_role("heading", name="À quoi sert la CPTS ?").is_visible()

    page.get_by_role("link", name="Assises du soin non programmé").click()
    page.wait_for_url("**/actualites/assises-du-snp-navigateur/")
    assert page.locator("h1").inner_text() == "Assises du soin non programmé"
    assert "L'orientation des patients." in page.locator("article").inner_text()

    page.get_by_role("navigation", name="Menu du site").get_by_role("link", name="Contact").click()
    page.get_by_label("Votre nom").fill("Claire Visiteuse")
    page.get_by_label("Votre adresse e-mail").fill("visiteuse@exemple.fr")
    page.get_by_label("Objet").fill("Annuaire")
    page.get_by_label("Votre message").fill("Notre cabinet n'apparaît pas dans l'annuaire.")
    page.get_by_role("button", name="Envoyer le message").click()
    page.wait_for_url("**/contact/merci/")
    assert page.locator("h1").inner_text() == "Merci pour votre message"

    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            message = VisitorMessage.objects.get(email="visiteuse@exemple.fr")
        connection.set_schema_to_public()
    assert (message.name, message.subject, message.kind) == ("Claire Visiteuse", "Annuaire", "contact")


def test_a_team_member_edits_the_faq_and_sees_it_live(page, site_url, world, django_db_blocker):
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            item = FaqItem.objects.order_by("position").first()
            original = (item.question, item.answer)
        connection.set_schema_to_public()
    try:
        page.goto(site_url("alpha", "/faq/"))  # an anonymous visit fills the page cache first
        assert page.get_by_text(original[0]).count() == 1

        page.goto(site_url("alpha", "/compte/connexion/?next=/equipe/site/faq/"))
        page.get_by_label("Adresse e-mail").fill(world.alice.email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/equipe/site/faq/")
        page.get_by_role("link", name=original[0]).click()
        page.get_by_label("Question").fill("Qu'est-ce qu'une CPTS, en une phrase ?")
        # The answer is rich text: typed in the editor that replaces the textarea. The editor is
        # built by a deferred script and upgraded once Trix loads; until then the hidden textarea
        # still answers to the label, so wait for the editor itself before typing in it.
        page.wait_for_function(
            "() => { const e = document.querySelector(\"trix-editor[aria-label='Réponse']\");"
            " return !!(e && e.editor); }"
        )
        page.locator("trix-editor[aria-label='Réponse']").fill(
            "Des professionnels de santé qui s'organisent ensemble."
        )
        page.get_by_role("button", name="Enregistrer").click()
        assert "La question est enregistrée." in page.locator("[role=status]").inner_text()

        visitor = page.context.browser.new_context(locale="fr-FR").new_page()
        visitor.goto(site_url("alpha", "/faq/"))
        question = visitor.get_by_text("Qu'est-ce qu'une CPTS, en une phrase ?")
        question.click()
        assert visitor.get_by_text("Des professionnels de santé qui s'organisent ensemble.").is_visible()
        visitor.context.close()
    finally:
        with django_db_blocker.unblock():
            with schema_context(world.a.schema_name):
                FaqItem.objects.filter(pk=item.pk).update(question=original[0], answer=original[1])
                invalidate_site()
            connection.set_schema_to_public()


def _public_paths() -> list[str]:
    paths = [
        "/",
        "/pages/la-cpts/",
        "/actualites/",
        "/actualites/assises-du-snp-navigateur/",
        "/faq/",
        "/urgences/",
    ]
    paths += ["/contact/", "/boite-a-idees/"]
    for candidate in ("/annuaire/",):  # the directory's pages (issue 4), once they exist
        try:
            resolve(candidate, urlconf="cpts_platform.urls_tenant")
        except Resolver404:
            continue
        paths.append(candidate)
    return paths


def test_public_pages_have_no_serious_or_critical_accessibility_violation(page, site_url, published_news):
    report = {}
    for path in _public_paths():
        response = page.goto(site_url("alpha", path))
        assert response.status == 200, path
        violations = run_axe(page)
        if violations:
            report[path] = violations
    assert report == {}


def test_the_platform_site_and_the_team_space_have_no_serious_or_critical_violation(
    page, site_url, live_server, world
):
    port = live_server.url.rsplit(":", 1)[1]
    page.goto(f"http://localhost:{port}/")
    assert run_axe(page) == []
    page.goto(site_url("alpha", "/compte/connexion/?next=/equipe/site/identite/"))
    page.get_by_label("Adresse e-mail").fill(world.alice.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/equipe/site/identite/")
    assert run_axe(page) == []


def test_the_accessibility_check_does_catch_violations(page):
    """The checker itself works: a page with an unlabelled image and a nameless button fails."""
    page.set_content('<html lang="fr"><body><main><img src="x.png"><button></button></main></body></html>')
    assert {violation["id"] for violation in run_axe(page)} >= {"image-alt", "button-name"}
