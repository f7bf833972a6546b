"""The public site's links to the desk follow the operator's switch at once: the site chrome
(menu, footer) and the cached pages are forgotten when the desk's settings change, in that CPTS
only."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from apps.access_care import services
from apps.access_care.models import DeskSettings
from apps.site.pagecache import current_version
from tests.access_care.conftest import build_desk
from tests.conftest import HOST_A, HOST_B

DESK_LINK = 'href="/medecin-traitant/"'


def test_the_footer_link_to_the_desk_goes_at_once_when_the_desk_is_switched_off(
    world, db, hds, django_capture_on_commit_callbacks
):
    with schema_context(world.a.schema_name):
        build_desk(world.a.schema_name)
    home = Client(HTTP_HOST=HOST_A).get("/").text
    assert DESK_LINK in home  # the chrome and the home page are now cached with the link
    with schema_context(world.b.schema_name):
        other_version = current_version()

    with schema_context(world.a.schema_name), django_capture_on_commit_callbacks(execute=True):
        services.set_enabled(operator_email="operator@test.fr", enabled=False)

    assert DESK_LINK not in Client(HTTP_HOST=HOST_A).get("/").text
    with schema_context(world.b.schema_name):
        assert current_version() == other_version  # another CPTS's cache is left alone

    with schema_context(world.a.schema_name), django_capture_on_commit_callbacks(execute=True):
        services.set_enabled(operator_email="operator@test.fr", enabled=True)
    assert DESK_LINK in Client(HTTP_HOST=HOST_A).get("/").text


def test_a_change_of_the_team_settings_also_refreshes_the_site(
    world, db, hds, django_capture_on_commit_callbacks
):
    with schema_context(world.a.schema_name):
        desk = build_desk(world.a.schema_name)
        before = current_version()
        with django_capture_on_commit_callbacks(execute=True):
            services.update_settings(
                actor=desk.dora,
                weights=services.get_desk_settings().weights,
                retention_months=6,
                letter_subject="Objet",
                letter_body="{prenom}",
            )
        assert current_version() != before
        assert DeskSettings.objects.get(pk=1).enabled
    assert DESK_LINK in Client(HTTP_HOST=HOST_A).get("/").text
    assert DESK_LINK not in Client(HTTP_HOST=HOST_B).get("/").text
