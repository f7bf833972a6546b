"""Directory pages and API: audiences, members-only fields, team back-office, isolation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from apps.directory import services
from apps.directory.models import Entry, ImportRun
from tenants.actors import SYSTEM
from tests.conftest import HOST_A, HOST_B
from tests.factories.directory_files import rpps_file, rpps_number, rpps_row


@pytest.fixture
def entries_a(territory_a):
    with schema_context(territory_a.schema_name):
        public = services.create_entry(
            actor=SYSTEM,
            fields={"kind": "professional", "family": "liberal", "name": "Hélène Martin",
                    "profession": "Masseur-Kinésithérapeute", "profession_code": "70",
                    "members_note": "Remplaçante disponible en août"},
            place={"city": "Saint-Étienne", "commune_id": "42218", "postcode": "42000",
                   "phone": "04 77 00 00 00", "email": "helene@cabinet.test"},
        )  # fmt: skip
        members = services.create_entry(
            actor=SYSTEM,
            fields={
                "kind": "professional",
                "family": "liberal",
                "name": "Claire Réservée",
                "visibility": "members",
            },
        )
        hidden = services.create_entry(
            actor=SYSTEM,
            fields={
                "kind": "professional",
                "family": "liberal",
                "name": "Marc Masqué",
                "visibility": "hidden",
            },
        )
    return {"public": public.pk, "members": members.pk, "hidden": hidden.pk}


def test_the_public_page_finds_public_entries_and_never_shows_members_fields(entries_a):
    response = Client(HTTP_HOST=HOST_A).get("/annuaire/", {"q": "kine"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Hélène Martin" in body and "04 77 00 00 00" in body
    assert "helene@cabinet.test" not in body and "Claire Réservée" not in body
    detail = Client(HTTP_HOST=HOST_A).get(f"/annuaire/{entries_a['public']}/").content.decode()
    # A professional listed here may ask to hear from the CPTS (double opt-in page).
    assert f"/annuaire/{entries_a['public']}/recevoir-les-nouvelles/" in detail
    assert "Remplaçante disponible" not in detail and "helene@cabinet.test" not in detail
    assert Client(HTTP_HOST=HOST_A).get(f"/annuaire/{entries_a['members']}/").status_code == 404


def test_members_see_members_only_entries_and_fields(entries_a, bob, client_as):
    client = client_as(bob, HOST_A)
    body = client.get("/annuaire/").content.decode()
    assert "Claire Réservée" in body and "helene@cabinet.test" in body and "Marc Masqué" not in body
    detail = client.get(f"/annuaire/{entries_a['public']}/").content.decode()
    assert "Remplaçante disponible en août" in detail
    assert client.get(f"/annuaire/{entries_a['hidden']}/").status_code == 404


def test_charlie_member_of_b_sees_nothing_of_a_members_only_fields(entries_a, charlie, client_as):
    client = client_as(charlie, HOST_A)
    body = client.get("/annuaire/").content.decode()
    assert "Hélène Martin" in body
    assert "helene@cabinet.test" not in body and "Claire Réservée" not in body
    api = client.get("/api/v1/directory/").json()
    assert [e["name"] for e in api["results"]] == ["Hélène Martin"]
    assert "members_note" not in api["results"][0] and "email" not in api["results"][0]["places"][0]
    assert client.get(f"/api/v1/directory/{entries_a['members']}/").status_code == 404
    # B's own directory is empty: A's entries never appear there.
    assert client_as(charlie, HOST_B).get("/api/v1/directory/").json()["count"] == 0


def test_htmx_search_returns_only_the_results_fragment(entries_a):
    response = Client(HTTP_HOST=HOST_A).get("/annuaire/", {"q": "martin"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Hélène Martin" in body and "<html" not in body


def test_the_api_is_public_paginated_and_hides_members_fields(entries_a, bob, client_as):
    public = Client(HTTP_HOST=HOST_A).get("/api/v1/directory/", {"q": "martin"}).json()
    assert public["count"] == 1
    entry = public["results"][0]
    assert entry["name"] == "Hélène Martin" and entry["places"][0]["commune_code"] == "42218"
    assert "members_note" not in entry and "email" not in entry["places"][0]
    member = client_as(bob, HOST_A).get("/api/v1/directory/", {"q": "martin"}).json()["results"][0]
    assert member["members_note"] == "Remplaçante disponible en août"
    assert member["places"][0]["email"] == "helene@cabinet.test"
    assert Client(HTTP_HOST=HOST_A).get(f"/api/v1/directory/{entries_a['hidden']}/").status_code == 404
    assert Client(HTTP_HOST=HOST_A).get("/api/v1/directory/abc/").status_code == 404
    schema = Client(HTTP_HOST=HOST_A).get("/api/schema/").content.decode()
    assert "/api/v1/directory/" in schema


@pytest.mark.parametrize(
    "url", ["/equipe/annuaire/", "/equipe/territoire/", "/equipe/annuaire/fiches/nouvelle/"]
)
def test_team_pages_are_404_for_charlie_403_for_bob_200_for_alice(
    territory_a, alice, bob, charlie, client_as, url
):
    assert client_as(charlie, HOST_A).get(url).status_code == 404
    assert client_as(bob, HOST_A).get(url).status_code == 403
    assert client_as(alice, HOST_A).get(url).status_code == 200


def test_the_team_uploads_files_and_the_task_imports_them_with_a_report(
    territory_a, alice, client_as, django_capture_on_commit_callbacks
):
    rows = [rpps_row(rpps=rpps_number(5), last_name="Noël", first_name="Anaïs", commune="42218",
                     postcode="42000", city="Saint-Étienne")]  # fmt: skip
    upload = SimpleUploadedFile("ps.txt", rpps_file(rows, columns=52, encoding="cp1252"))
    client = client_as(alice, HOST_A)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/equipe/annuaire/", {"rpps_file": upload})
    assert response.status_code == 302
    with schema_context(territory_a.schema_name):
        run = ImportRun.objects.get()
        assert run.status == "done" and run.report["rpps"]["created"] == 1
        assert Entry.objects.get(identifier=rpps_number(5)).name == "Anaïs Noël"
    progress = client.get(f"/equipe/annuaire/imports/{run.pk}/").content.decode()
    assert "hx-trigger" not in progress  # finished: no more polling
    # A table naming the uploaded file (not the stored copy), data lines only.
    assert (
        '<caption>Annuaire Santé (professionnels) — <span class="file-name">ps.txt</span></caption>'
        in progress
    )
    assert '<th scope="row">Fiches créées</th><td>1</td>' in progress
    assert (
        '<th scope="row">Lignes de données lues (ligne d&#x27;en-tête non comptée)</th><td>1</td>' in progress
    )
    assert "directory/imports/" not in progress and "-rpps.txt" not in progress
    page = client.get("/equipe/annuaire/").content.decode()
    assert "https://annuaire.sante.fr/" in page and "https://www.data.gouv.fr/" in page


def test_a_refused_upload_shows_why_and_the_first_bad_lines(
    territory_a, alice, client_as, django_capture_on_commit_callbacks
):
    good = rpps_number(7)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    rows = [rpps_row(rpps=bad, last_name="Faux", first_name="Numéro", commune="42218", postcode="42000",
                     city="Saint-Étienne")]  # fmt: skip
    client = client_as(alice, HOST_A)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/equipe/annuaire/", {"rpps_file": SimpleUploadedFile("extrait-mai.txt", rpps_file(rows))}
        )
    with schema_context(territory_a.schema_name):
        run = ImportRun.objects.get()
        assert run.status == "failed" and Entry.objects.count() == 0
    progress = client.get(f"/equipe/annuaire/imports/{run.pk}/").content.decode()
    assert "Rien n'a été modifié" in progress and "extrait-mai.txt" in progress
    assert f"ligne 2 : numéro RPPS invalide : {bad}" in progress


def test_charlie_cannot_start_an_import_in_a(territory_a, charlie, client_as):
    upload = SimpleUploadedFile("ps.txt", rpps_file([]))
    assert client_as(charlie, HOST_A).post("/equipe/annuaire/", {"rpps_file": upload}).status_code == 404
    with schema_context(territory_a.schema_name):
        assert ImportRun.objects.count() == 0


def test_the_team_edits_an_entry_and_the_edit_survives_the_next_import(
    territory_a, alice, client_as, tmp_path
):
    from apps.directory.importing import run_import

    path = tmp_path / "ps.txt"
    rows = [rpps_row(rpps=rpps_number(6), last_name="Durand", first_name="Paul", commune="42218",
                     postcode="42000", city="Saint-Étienne")]  # fmt: skip
    path.write_bytes(rpps_file(rows))
    with schema_context(territory_a.schema_name):
        run_import(actor=None, rpps_path=str(path))
        entry = Entry.objects.get(identifier=rpps_number(6))
    response = client_as(alice, HOST_A).post(
        f"/equipe/annuaire/fiches/{entry.pk}/",
        {"kind": "professional", "family": "liberal", "name": "Dr Paul Durand", "profession": "Médecin",
         "visibility": "public", "accepts_new_patients": "true", "languages_text": "anglais, espagnol",
         "address": "1 place de l'Hôtel de Ville", "postcode": "42000", "city": "Saint-Étienne"},
    )  # fmt: skip
    assert response.status_code == 302
    rows[0]["Prénom d'exercice"] = "Paul-Henri"
    path.write_bytes(rpps_file(rows))
    with schema_context(territory_a.schema_name):
        report = run_import(actor=None, rpps_path=str(path))["rpps"]
        entry.refresh_from_db()
        assert report["updated"] == 1
        assert entry.name == "Dr Paul Durand" and entry.first_name == "Paul-Henri"
        assert entry.languages == ["anglais", "espagnol"] and entry.accepts_new_patients is True
        assert entry.places.get().address == "1 place de l'Hôtel de Ville"


def test_the_directory_page_costs_the_same_queries_for_5_or_25_entries(community_a):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    def make(n, start):
        with schema_context(community_a.schema_name):
            for i in range(start, start + n):
                services.create_entry(
                    actor=SYSTEM,
                    fields={"kind": "professional", "family": "liberal", "name": f"Infirmière {i:03d}",
                            "profession": "Infirmier", "profession_code": "60"},
                    place={"city": "Saint-Étienne", "commune_id": "42218", "postcode": "42000"},
                )  # fmt: skip

    def queries():
        with CaptureQueriesContext(db) as captured:
            response = Client(HTTP_HOST=HOST_A).get("/annuaire/", {"q": "infirmiere"})
        assert response.status_code == 200
        return len(captured), response.content.decode()

    make(5, 0)
    queries()  # warm-up: the site chrome is cached after the first page
    few, body = queries()
    assert body.count('class="card directory-entry"') == 5
    make(20, 5)
    many, body = queries()
    assert body.count('class="card directory-entry"') == 20
    assert many == few


def test_the_results_show_a_plan_of_the_located_places_without_outside_service(community_a):
    with schema_context(community_a.schema_name):
        for name, lat, lon in (("EHPAD Nord", 45.45, 4.39), ("EHPAD Sud", 45.40, 4.38)):
            services.create_entry(
                actor=SYSTEM,
                fields={"kind": "structure", "family": "retirement", "name": name},
                place={"city": "Saint-Étienne", "commune_id": "42218", "latitude": lat, "longitude": lon},
            )
    body = Client(HTTP_HOST=HOST_A).get("/annuaire/", {"q": "ehpad"}).content.decode()
    assert body.count('class="plan-point"') == 2
    assert "<title>EHPAD Nord — Saint-Étienne</title>" in body
    assert 'cy="20.0"' in body and 'cy="340.0"' in body  # north at the top, south at the bottom
    assert "http" not in body.split('<figure class="plan">')[1].split("</figure>")[0]
