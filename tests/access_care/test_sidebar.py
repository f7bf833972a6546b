"""The « Accès aux soins » sidebar group follows the desk's switch and permission: the desk's
entries only while the module is on (the team's only to holders of the permission), the SNP
roster's whatever the desk says. The registry's conditions are asked once per sidebar."""

from __future__ import annotations

import html as html_lib
import re

from django.test import RequestFactory
from django_tenants.utils import schema_context

from apps.access_care.models import DeskSettings
from apps.backoffice import registry
from apps.members.selectors import get_membership
from tests.conftest import HOST_A, verified_operator_client

DASHBOARD = "/equipe/tableau-de-bord/"
DESK_TEAM = ["Demandes", "Places des médecins", "Réglages et chiffres"]
DESK_ADMIN = ["Autorisations", "Journal des accès"]


def _links(html: str) -> list[str]:
    nav = html.split('<nav class="bo-nav"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", label)).strip() for label in links]


def _groups(html: str) -> list[str]:
    return re.findall(r'<p class="bo-group"[^>]*>([^<]+)</p>', html)


def test_with_the_desk_off_the_group_shows_the_roster_only(desk, community_a, alice):
    with schema_context(community_a.schema_name):
        DeskSettings.objects.filter(pk=1).update(enabled=False)
    for user in (alice, desk.dora):
        html = verified_operator_client(user, HOST_A).get(DASHBOARD).text
        links = _links(html)
        assert "Accès aux soins" in _groups(html)
        assert "Soins non programmés" in links
        assert not set(DESK_TEAM + DESK_ADMIN) & set(links), links


def test_with_the_desk_on_holders_see_its_pages_admins_its_settings_others_nothing(desk, community_a, alice):
    dora = _links(verified_operator_client(desk.dora, HOST_A).get(DASHBOARD).text)
    tina = _links(verified_operator_client(desk.tina, HOST_A).get(DASHBOARD).text)
    admin = _links(verified_operator_client(alice, HOST_A).get(DASHBOARD).text)
    assert set(DESK_TEAM) <= set(dora) and not set(DESK_ADMIN) & set(dora)
    assert not set(DESK_TEAM + DESK_ADMIN) & set(tina) and "Soins non programmés" in tina
    # alice administers but was not opened the desk herself: she grants it and reads the log.
    assert set(DESK_ADMIN) <= set(admin) and not set(DESK_TEAM) & set(admin)


def test_a_group_condition_hides_the_group_and_each_condition_is_asked_once(alice, community_a):
    asked = []

    def shown(request):
        asked.append(request.path)
        return state["shown"]

    state = {"shown": True}
    registry.register_group("trial", "Essai", 66, visible=shown)
    registry.register_sidebar_entry(group="trial", label="Un", icon="activity", url_name="site:faq")
    registry.register_sidebar_entry(
        group="trial", label="Deux", icon="activity", url_name="site:news_list", visible=shown
    )
    try:
        with schema_context(community_a.schema_name):
            request = RequestFactory().get("/equipe/")
            request.user = alice
            request.membership = get_membership(alice)
            labels = [link.label for group in registry.sidebar_for(request).groups for link in group.links]
            assert {"Un", "Deux"} <= set(labels)
            assert asked == ["/equipe/"]
            state["shown"] = False
            labels = [link.label for group in registry.sidebar_for(request).groups for link in group.links]
            assert not {"Un", "Deux"} & set(labels)
    finally:
        registry._entries.pop(("trial", "site:faq"))
        registry._entries.pop(("trial", "site:news_list"))
        registry._groups.pop("trial")
