"""What every page shares (templates/base.html): flash messages, the site icon."""

from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import HOST_A, PLATFORM_HOST


def test_flash_messages_are_a_list_inside_a_live_region(community_a, alice, client_as):
    team = client_as(alice, HOST_A)
    html = team.post(
        "/equipe/site/numeros/nouveau/",
        {"number": "3624", "label": "SOS Médecins", "category": "local", "position": "1", "is_visible": "on"},
        follow=True,
    ).text
    region = html.split('<div class="messages" role="status">', 1)[1].split("</div>", 1)[0]
    assert region.startswith("<ul>") and region.count("<li") == 1 and region.endswith("</ul>")
    assert 'role="status"><li' not in html and '<ul class="messages" role="status">' not in html


def test_every_page_has_an_icon_and_favicon_ico_never_answers_404(community_a):
    for host in (HOST_A, PLATFORM_HOST):
        client = Client(HTTP_HOST=host)
        html = client.get("/").text
        icon = html.split('<link rel="icon" href="', 1)[1].split('"', 1)[0]
        assert finders.find(icon.removeprefix("/static/")), icon
        response = client.get("/favicon.ico")
        assert response.status_code == 301 or response.status_code == 302
        assert finders.find(response["Location"].removeprefix("/static/"))


def test_a_form_error_sits_under_its_own_field(community_a, alice, client_as):
    page = client_as(alice, HOST_A).post(
        "/equipe/site/numeros/nouveau/", {"number": "3624", "label": "", "category": "local", "position": "1"}
    )
    html = page.text
    assert page.status_code == 200
    label = html.index('<label for="id_label"')
    field = html.index('id="id_label"', label)
    error = html.index("Ce champ est obligatoire.")
    next_label = html.index('<label for="id_description"')
    assert label < field < error < next_label
    assert 'aria-invalid="true"' in html[field - 200 : error]
