"""A suspended CPTS: its site answers « temporairement indisponible », except what keeps people
safe (its emergency numbers), with no broken image and no link to a page that is down."""

import re

from django.core.files.base import ContentFile
from django.test import Client
from django_tenants.utils import schema_context

from apps.site.models import SiteSettings
from apps.site.pagecache import invalidate_site
from tenants.models import Community
from tests.conftest import HOST_B
from tests.site.test_team_space import png_bytes


def _suspend(community):
    Community.objects.filter(pk=community.pk).update(status=Community.Status.SUSPENDED)
    with schema_context(community.schema_name):
        invalidate_site()


def _links_and_images(html: str) -> tuple[set[str], set[str]]:
    links = set(re.findall(r'<a [^>]*href="([^"#]+)"', html))
    images = set(re.findall(r'<img [^>]*src="([^"]+)"', html))
    return links, images


def test_the_emergency_numbers_stay_up_while_suspended(community_b):
    _suspend(community_b)
    client = Client(HTTP_HOST=HOST_B)
    for path in ("/", "/annuaire/", "/actualites/", "/compte/connexion/", "/api/v1/directory/"):
        assert client.get(path).status_code == 503, path
    page = client.get("/urgences/")
    assert page.status_code == 200
    assert 'href="tel:15"' in page.text and "SAMU" in page.text
    assert "temporairement indisponible" in page.text
    stylesheet = page.text.split('<link rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    assert client.get(stylesheet).status_code != 503  # static files are the platform's, always up


def test_the_suspended_page_links_only_to_pages_that_answer(community_b):
    with schema_context(community_b.schema_name):
        site = SiteSettings.objects.get(pk=1)
        site.logo.save("logo.png", ContentFile(png_bytes((200, 100))))
    try:
        _suspend(community_b)
        client = Client(HTTP_HOST=HOST_B)
        for path in ("/", "/urgences/"):
            html = client.get(path).text
            links, images = _links_and_images(html)
            assert images, "the CPTS's logo is shown"
            assert links >= {"/urgences/"}
            for url in links | images:
                if url.startswith(("tel:", "mailto:", "http")):
                    continue
                status = client.get(url).status_code
                assert status == 200 or (url == "/" and status == 503), (path, url, status)
            assert "Se connecter" not in html and "Annuaire" not in html
    finally:
        with schema_context(community_b.schema_name):
            SiteSettings.objects.get(pk=1).logo.delete()


def test_the_suspended_page_names_the_cpts_with_its_article(community_b):
    _suspend(community_b)
    page = Client(HTTP_HOST=HOST_B).get("/")
    assert page.status_code == 503
    assert "Le site de la CPTS Bêta est momentanément suspendu" in page.text
