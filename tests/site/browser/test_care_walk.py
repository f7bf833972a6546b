"""Issue journey, in Chromium: a visitor asks for a médecin traitant on a phone (errors shown where
she is, then sent), the coordinator qualifies the request and proposes a GP, the GP accepts from
the member space, and the ACI cockpit counts it at once. Every step waits for what it uses."""

from __future__ import annotations

import re

from django.conf import settings as django_settings
from django.db import connection
from django_tenants.utils import schema_context

from apps.access_care import services
from apps.aci import services as aci_services
from apps.aci.models import Indicator, IndicatorValue
from tests.access_care.conftest import ORLEANS, SULLY, build_desk
from tests.access_care.test_desk_flow import _clean
from tests.conftest import HOST_A, verified_operator_client


def _signed_in(browser, client, width: int):
    """A browser context carrying the session of a Django test client (bound to alpha's host)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 844})
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "domain": "alpha.localhost",
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_a_request_goes_from_the_public_form_to_a_gp_and_into_the_aci_figures(
    world, django_db_blocker, settings, live_server, browser, site_url
):
    settings.HDS_HOSTING = True
    schema = world.a.schema_name
    with schema_context(schema):
        desk = build_desk(schema)
        indicator = aci_services.create_indicator(
            actor=desk.dora,
            data={
                "label": "Patients ayant trouvé un médecin traitant",
                "unit": "patients",
                "source": "access_found",
            },
        )
        services.declare_capacity(
            actor=desk.gaston,
            places=3,
            groups=[],
            communes=[],
            practice_commune=SULLY,
            practice_name="Cabinet du Port",
            practice_phone="02 38 00 00 00",
        )
        dora = verified_operator_client(desk.dora, HOST_A)
        gaston = verified_operator_client(desk.gaston, HOST_A)
    try:
        # The visitor, on a phone: outside the territory and no consent → both errors at once, the
        # first one brought into view with its field focused.
        visitor = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
        page = visitor.new_page()
        page.set_default_timeout(15_000)
        page.goto(site_url("alpha", "/medecin-traitant/"))
        page.fill("input[name=last_name]", "Durand")
        page.fill("input[name=first_name]", "Paulette")
        page.fill("input[name=birth_date]", "1948-05-12")
        page.fill("input[name=commune]", ORLEANS)
        page.fill("input[name=email]", "paulette@example.fr")
        page.click("form.visitor-form button[type=submit]")
        page.wait_for_selector("form .errorlist")
        errors = " ".join(page.locator("form .errorlist").all_inner_texts())
        assert "ne fait pas partie du territoire de la CPTS" in errors
        assert "Votre accord est nécessaire" in errors
        page.wait_for_function("document.activeElement && document.activeElement.name === 'commune'")
        assert page.locator("input[name=commune]").evaluate(
            "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
        )
        assert _overflow(page) <= 0
        page.fill("input[name=commune]", "Sully-sur-Loire")
        page.check("input[name=criteria][value=ald]")
        page.check("input[name=consent]")
        page.click("form.visitor-form button[type=submit]")
        page.wait_for_selector("h1:has-text('Votre demande est bien enregistrée')")
        visitor.close()

        # The coordinator: the queue, the request, « qualifiée », a proposal to the first GP.
        context, page = _signed_in(browser, dora, 1366)
        page.goto(site_url("alpha", "/acces-aux-soins/"))
        page.get_by_role("link", name="Durand Paulette").click()
        page.wait_for_selector("h1:has-text('Nouvelle')")
        options = page.locator("select[name=status] option").evaluate_all("os => os.map(o => o.value)")
        assert options == ["", "qualified", "unreachable", "closed"]
        page.select_option("select[name=status]", "qualified")
        page.get_by_role("button", name="Changer le statut").click()
        page.wait_for_selector("h1:has-text('Qualifiée')")
        row = page.locator("table tr", has_text="Gaston")
        row.get_by_role("button", name="Proposer").click()
        page.wait_for_selector("h1:has-text('Proposée à un médecin')")
        context.close()

        # The GP, on a phone: the proposal without the patient's name, then accepted.
        context, page = _signed_in(browser, gaston, 390)
        page.goto(site_url("alpha", "/mon-espace/medecin-traitant/"))
        page.get_by_role("link", name=re.compile("Proposition du")).click()
        page.wait_for_selector("h1:has-text('Un patient cherche un médecin traitant')")
        assert "Durand" not in page.locator("main").inner_text()
        assert _overflow(page) <= 0
        page.get_by_role("button", name="J'accepte de devenir son médecin traitant").click()
        page.wait_for_selector("main h2:has-text('Paulette Durand')")
        context.close()

        # The coordinator: accepted, the letter, and the ACI cockpit counts the patient.
        context, page = _signed_in(browser, dora, 1366)
        page.goto(site_url("alpha", "/acces-aux-soins/"))
        page.goto(site_url("alpha", "/aci/"))
        item = page.locator(".progress-list li", has_text="Patients ayant trouvé un médecin traitant")
        assert re.search(r":\s*1\s+patients", item.inner_text()), item.inner_text()
        context.close()
    finally:
        with schema_context(schema):
            IndicatorValue.objects.filter(indicator=indicator).delete()
            Indicator.objects.filter(pk=indicator.pk).delete()
            # The accounts go with their memberships, whose table lives in the CPTS's schema.
            _clean(schema)
        connection.set_schema_to_public()
