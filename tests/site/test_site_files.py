"""Files uploaded for a CPTS's site are served only while what owns them is published."""

import re

from django.core.files.storage import default_storage
from django.test import Client
from django_tenants.utils import schema_context

from apps.site.models import NewsItem, SiteSettings
from tests.conftest import HOST_A
from tests.site.test_team_space import png_bytes, upload


def _post_news(team, path: str, **fields):
    data = {"title": "Assemblée générale", "body": "Le 12 juin.", "status": "draft"}
    data["publish_at"] = "2020-06-01T09:00"
    data["image_alt"] = "La salle des fêtes"
    data.update(fields)
    return team.post(path, data)


def test_an_unpublished_news_image_is_served_to_the_team_only(community_a, alice, bob, client_as, on_commit):
    team = client_as(alice, HOST_A)
    with on_commit():
        response = _post_news(
            team, "/equipe/site/actualites/nouvelle/", image_file=upload("image.png", png_bytes())
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(community_a.schema_name):
        item = NewsItem.objects.get(slug="assemblee-generale")
    url = default_storage.url(item.image.name)
    assert Client(HTTP_HOST=HOST_A).get(url).status_code == 404
    assert client_as(bob, HOST_A).get(url).status_code == 404
    preview = team.get(url)
    assert preview.status_code == 200 and "private" in preview["Cache-Control"]

    with on_commit():
        _post_news(team, f"/equipe/site/actualites/{item.pk}/", status="published")
    public = Client(HTTP_HOST=HOST_A).get(url)
    assert public.status_code == 200 and public["Content-Type"] == "image/png"


def test_stored_names_cannot_be_guessed(community_a, alice, client_as, on_commit):
    team = client_as(alice, HOST_A)
    with on_commit():
        _post_news(team, "/equipe/site/actualites/nouvelle/", image_file=upload("image.png", png_bytes()))
        team.post(
            "/equipe/site/identite/",
            {
                "primary_color": "#0b5fa5",
                "accent_color": "#8a3b12",
                "logo_file": upload("logo.png", png_bytes()),
            },
        )
    with schema_context(community_a.schema_name):
        names = [
            NewsItem.objects.get(slug="assemblee-generale").image.name,
            SiteSettings.objects.get(pk=1).logo.name,
        ]
    for name in names:
        assert re.fullmatch(r"site/(news|logo)/[A-Za-z0-9_-]{22,}\.png", name), name


def test_deleting_or_replacing_the_owner_deletes_the_file(community_a, alice, client_as, on_commit):
    team = client_as(alice, HOST_A)
    with on_commit():
        _post_news(
            team,
            "/equipe/site/actualites/nouvelle/",
            status="published",
            image_file=upload("image.png", png_bytes()),
        )
    with schema_context(community_a.schema_name):
        item = NewsItem.objects.get(slug="assemblee-generale")
    first = item.image.name
    with on_commit():
        _post_news(
            team,
            f"/equipe/site/actualites/{item.pk}/",
            status="published",
            image_file=upload("other.png", png_bytes(color=(200, 10, 10))),
        )
    with schema_context(community_a.schema_name):
        item.refresh_from_db()
        assert not default_storage.exists(first)
    assert Client(HTTP_HOST=HOST_A).get(default_storage.url(first)).status_code == 404
    second = item.image.name
    assert Client(HTTP_HOST=HOST_A).get(default_storage.url(second)).status_code == 200
    with on_commit():
        team.post(f"/equipe/site/actualites/{item.pk}/supprimer/")
    with schema_context(community_a.schema_name):
        assert not default_storage.exists(second)
    assert Client(HTTP_HOST=HOST_A).get(default_storage.url(second)).status_code == 404


def test_a_file_nothing_owns_is_not_served(community_a):
    with schema_context(community_a.schema_name):
        orphan = default_storage.save("site/news/orphan.png", upload("orphan.png", png_bytes()))
        url = default_storage.url(orphan)
    try:
        assert Client(HTTP_HOST=HOST_A).get(url).status_code == 404
    finally:
        with schema_context(community_a.schema_name):
            default_storage.delete(orphan)
