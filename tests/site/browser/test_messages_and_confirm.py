"""In Chromium: a page showing a flash message stays accessible, and a destructive button asks
before acting in the page's confirmation dialog (static/js/confirm.js)."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.site.models import EmergencyNumber
from tests.conftest import PASSWORD

from .conftest import run_axe

pytestmark = pytest.mark.browser


def _sign_in(page, site_url, user, path):
    page.goto(site_url("alpha", f"/compte/connexion/?next={path}"))
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**{path}")


@pytest.fixture
def local_number(world, django_db_blocker):
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            number = EmergencyNumber.objects.create(number="05 55 00 00 00", label="Maison médicale de garde")
        connection.set_schema_to_public()
    yield number
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            EmergencyNumber.objects.filter(pk=number.pk).delete()
        connection.set_schema_to_public()


def _exists(world, django_db_blocker, pk) -> bool:
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            found = EmergencyNumber.objects.filter(pk=pk).exists()
        connection.set_schema_to_public()
    return found


def test_deleting_asks_first_and_the_message_that_follows_is_accessible(
    page, site_url, world, django_db_blocker, local_number
):
    _sign_in(page, site_url, world.alice, "/equipe/site/numeros/")
    dialog = page.get_by_role("dialog")
    page.get_by_role("button", name="Supprimer 05 55 00 00 00").click()
    assert dialog.is_visible()
    assert dialog.get_by_text("Supprimer le numéro 05 55 00 00 00 ?").is_visible()
    assert run_axe(page) == []
    dialog.get_by_role("button", name="Annuler").click()
    page.wait_for_timeout(300)
    assert not dialog.is_visible()
    assert _exists(world, django_db_blocker, local_number.pk)

    page.get_by_role("button", name="Supprimer 05 55 00 00 00").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Confirmer").click()
    status = page.locator("[role=status]")
    assert status.locator("li").count() == 1
    assert not _exists(world, django_db_blocker, local_number.pk)
    assert run_axe(page) == []
