"""The public site leads patients to the access-to-care pages of its CPTS — « Trouver un médecin
traitant » (the desk's public form) and « Soins non programmés » (the roster's public page) — in the
site menu, the footer and the home page, only while that module is on for this CPTS."""

from __future__ import annotations

from datetime import time

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.access_care.models import DeskSettings
from apps.roster.models import Slot
from apps.site.pagecache import invalidate_site
from tests.conftest import HOST_A, HOST_B

DESK = 'href="/medecin-traitant/"'
SNP = 'href="/soins-non-programmes/"'


def _home(host: str = HOST_A) -> str:
    with schema_context("alpha" if host == HOST_A else "beta"):
        invalidate_site()
    return Client(HTTP_HOST=host).get("/").text


def test_no_link_while_the_modules_are_off(world, db, settings):
    settings.HDS_HOSTING = True
    html = _home()
    assert DESK not in html and SNP not in html


def test_the_desk_link_shows_in_menu_footer_and_home_once_the_desk_is_on(world, db, settings):
    settings.HDS_HOSTING = True
    with schema_context("alpha"):
        DeskSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    html = _home()
    assert html.count(DESK) == 3  # site menu, home block, footer
    assert "Trouver un médecin traitant" in html
    # Another CPTS's switch is its own.
    assert DESK not in _home(HOST_B)


def test_no_desk_link_without_hds_hosting_even_if_switched_on(world, db, settings):
    settings.HDS_HOSTING = False
    with schema_context("alpha"):
        DeskSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    assert DESK not in _home()


def test_the_snp_link_shows_once_a_slot_is_announced_this_week(world, db, bob):
    with schema_context("alpha"):
        Slot.objects.create(
            professional=bob, place_name="Maison de santé", address="1 rue du Port", commune_id="42218",
            phone="02 38 00 00 00", date=timezone.localdate(), starts_at=time(0, 0), ends_at=time(23, 59),
        )  # fmt: skip
    html = _home()
    assert html.count(SNP) == 3
    assert SNP not in _home(HOST_B)


@pytest.mark.parametrize("path", ["/medecin-traitant/", "/soins-non-programmes/"])
def test_the_pages_linked_exist(world, db, settings, path):
    settings.HDS_HOSTING = True
    with schema_context("alpha"):
        DeskSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    assert Client(HTTP_HOST=HOST_A).get(path).status_code == 200
