from django.test import Client

from tests.conftest import HOST_A, HOST_B, PLATFORM_HOST


def test_each_cpts_host_serves_its_own_site(community_a, community_b):
    page_a = Client(HTTP_HOST=HOST_A).get("/")
    page_b = Client(HTTP_HOST=HOST_B).get("/")
    assert page_a.status_code == 200 and "CPTS Alpha" in page_a.text and "CPTS Bêta" not in page_a.text
    assert page_b.status_code == 200 and "CPTS Bêta" in page_b.text


def test_the_platform_host_serves_the_platform_site(world, db):
    response = Client(HTTP_HOST=PLATFORM_HOST).get("/")
    assert response.status_code == 200
    assert "La plateforme des CPTS" in response.text


def test_an_unknown_host_gets_404_not_the_platform_site(world, db):
    response = Client(HTTP_HOST="inconnue.localhost").get("/")
    assert response.status_code == 404
    assert "La plateforme des CPTS" not in response.text
