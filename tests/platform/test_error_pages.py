"""Error pages are French and styled everywhere: CPTS sites, the platform host, and the demo."""

import os
import subprocess
import sys

from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.views import defaults

from tests.conftest import HOST_A, PLATFORM_HOST

STYLESHEET = '<link rel="stylesheet" href="/static/css/site.css">'


def test_a_missing_page_answers_a_french_styled_404_on_every_host(community_a):
    for host in (HOST_A, PLATFORM_HOST):
        response = Client(HTTP_HOST=host).get("/cette-page-n-existe-pas/")
        assert response.status_code == 404
        html = response.text
        assert '<html lang="fr">' in html and STYLESHEET in html
        assert "Erreur 404" in html and "Page introuvable" in html and 'href="/"' in html
    assert "CPTS Alpha" in Client(HTTP_HOST=HOST_A).get("/nulle-part/").text  # the CPTS's own header


def test_a_forbidden_page_answers_a_french_styled_403(community_a, bob, client_as):
    response = client_as(bob, HOST_A).get("/equipe/site/")
    assert response.status_code == 403
    assert STYLESHEET in response.text and "Erreur 403" in response.text and "Accès refusé" in response.text


def test_the_server_error_and_maintenance_pages_are_french_and_styled():
    request = RequestFactory().get("/")
    for view, status, title in (
        (defaults.server_error, 500, "Une erreur est survenue"),
        (defaults.bad_request, 400, "Demande incorrecte"),
    ):
        response = view(request) if status == 500 else view(request, exception=None)
        html = response.content.decode()
        assert response.status_code == status
        assert '<html lang="fr">' in html and STYLESHEET in html and title in html, html
    html = render_to_string("503.html")  # served without a request (e.g. by the proxy)
    assert STYLESHEET in html and "Service momentanément indisponible" in html


def test_the_demo_runs_without_django_debug_pages():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "cpts_platform.settings.dev"
    shown = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout.strip() == "False"
