"""Weekly refresh from the national extracts: downloaded once from a real HTTP server (here a local
one), split by territory in one pass, imported into each CPTS's own directory."""

from __future__ import annotations

import io
import os
import threading
import time
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.directory.models import Entry, ImportRun
from apps.directory.national import refresh
from apps.territory import services as territory_services
from apps.territory.models import TerritoryCommune
from tenants.actors import SYSTEM
from tests.conftest import wait_until
from tests.factories.directory_files import (
    finess_file,
    finess_number,
    geo_line,
    rpps_file,
    rpps_number,
    rpps_row,
    structure_line,
)
from workers.directory import refresh_national_extracts_task

SAINT_ETIENNE = dict(commune="42218", postcode="42000", city="Saint-Étienne")
LYON_1 = dict(commune="69381", postcode="69001", city="Lyon")  # an arrondissement: B's territory is 69123
PARIS = dict(commune="75115", postcode="75015", city="Paris")  # nobody's territory

ROWS = [
    rpps_row(rpps=rpps_number(501), last_name="Lefèvre", first_name="Chloé", **SAINT_ETIENNE),
    rpps_row(rpps=rpps_number(504), last_name="Garcia", first_name="Inès", **SAINT_ETIENNE),
    rpps_row(rpps=rpps_number(502), last_name="Roux", first_name="Luc", **LYON_1),
    rpps_row(rpps=rpps_number(503), last_name="Petit", first_name="Anaïs", **PARIS),
]
ST_ETIENNE_EHPAD = finess_number(11, "42")
LYON_MSP = finess_number(12, "69")
STRUCTURES = [
    structure_line(finess=ST_ETIENNE_EHPAD, name="EHPAD du Furan", departement="42", commune="218",
                   postcode="42000", city="Saint-Étienne"),
    structure_line(finess=LYON_MSP, name="Maison de santé des Pentes", departement="69", commune="381",
                   postcode="69001", city="Lyon", category=("603", "Maison de santé (L.6223-3)")),
]  # fmt: skip
GEOS = [geo_line(ST_ETIENNE_EHPAD, 808_000.0, 6_483_000.0, "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93")]


def _zip(name: str, content: bytes) -> bytes:
    """An archive as the Annuaire Santé publishes it: the activities file among others, not the largest."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("LISEZMOI.txt", "Extraction en libre accès")
        archive.writestr("PS_LibreAcces_Dipl_AutExerc_202611220800.txt", b"x" * (len(content) + 1000))
        archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def national_server(tmp_path, settings):
    """A real HTTP server publishing the extracts (If-Modified-Since answered by 304)."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "ps-libreacces.zip").write_bytes(_zip("ps-libreacces-personne-activite.txt", rpps_file(ROWS)))
    (served / "finess.csv").write_bytes(finess_file(STRUCTURES, GEOS))
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.NATIONAL_EXTRACTS_DIR = str(tmp_path / "national")
    base = f"http://127.0.0.1:{server.server_port}"
    yield served, {"rpps": f"{base}/ps-libreacces.zip", "finess": f"{base}/finess.csv"}
    server.shutdown()
    server.server_close()


@pytest.fixture
def territories(world, db):
    with schema_context(world.a.schema_name):
        territory_services.add_communes(actor=SYSTEM, codes=["42218"])
    with schema_context(world.b.schema_name):
        territory_services.add_communes(actor=SYSTEM, codes=["69123"])
    return world.a.schema_name, world.b.schema_name


def _names(schema: str) -> set[str]:
    with schema_context(schema):
        return set(Entry.objects.filter(withdrawn_at__isnull=True).values_list("name", flat=True))


def test_each_cpts_gets_the_lines_of_its_own_territory_only(national_server, territories):
    _served, urls = national_server
    a, b = territories
    summary = refresh(urls)
    assert summary["changed"] == ["finess", "rpps"] and summary["communities"] == 2
    # Paris is nobody's; the EHPAD's coordinates follow it.
    assert summary["lines"] == {"rpps": 3, "finess": 3}
    assert _names(a) == {"Chloé Lefèvre", "Inès Garcia", "EHPAD du Furan"}
    assert _names(b) == {"Luc Roux", "Maison de santé des Pentes"}
    with schema_context(a):
        run = ImportRun.objects.get()
        assert (run.status, run.automatic, run.created_by_id) == ("done", True, None)
        assert run.report["rpps"]["created"] == 2 and run.report["finess"]["created"] == 1
        ehpad = Entry.objects.get(identifier=ST_ETIENNE_EHPAD).places.get()
        assert 45.0 < ehpad.latitude < 46.0 and 4.0 < ehpad.longitude < 5.0
    connection.set_schema_to_public()


def test_an_unchanged_extract_is_neither_downloaded_nor_imported_again(national_server, territories):
    _served, urls = national_server
    a, _b = territories
    refresh(urls)
    assert refresh(urls) == {"changed": [], "communities": 0}
    with schema_context(a):
        assert ImportRun.objects.count() == 1
    connection.set_schema_to_public()


def test_a_professional_gone_from_the_new_extract_is_withdrawn(national_server, territories):
    served, urls = national_server
    a, b = territories
    refresh(urls)
    later = time.time() + 5  # a newer file than the one downloaded (If-Modified-Since has 1 s steps)
    (served / "ps-libreacces.zip").write_bytes(
        _zip("PS_LibreAcces_Personne_activite_202611290800.txt", rpps_file(ROWS[1:]))
    )  # without Chloé
    os.utime(served / "ps-libreacces.zip", (later, later))
    summary = refresh(urls)
    assert summary["changed"] == ["rpps"]
    assert _names(a) == {"Inès Garcia", "EHPAD du Furan"}  # Chloé retired; the FINESS file did not change
    assert _names(b) == {"Luc Roux", "Maison de santé des Pentes"}
    with schema_context(a):
        assert ImportRun.objects.order_by("-pk").first().report["rpps"]["withdrawn"] == 1
    connection.set_schema_to_public()


def test_a_cpts_without_territory_or_with_an_import_under_way_is_left_for_next_time(
    national_server, territories
):
    _served, urls = national_server
    a, b = territories
    with schema_context(b):
        ImportRun.objects.create(status="running")
    summary = refresh(urls)
    assert summary["communities"] == 1
    assert _names(b) == set()
    with schema_context(a):
        TerritoryCommune.objects.all().delete()
    connection.set_schema_to_public()


def test_a_file_that_is_not_an_extract_imports_nothing_and_is_fetched_again_next_time(
    national_server, territories
):
    served, urls = national_server
    a, _b = territories
    (served / "finess.csv").write_bytes(b"<html>Maintenance</html>\n")
    with pytest.raises(ValueError, match="FINESS"):
        refresh({"finess": urls["finess"]})
    assert _names(a) == set()
    (served / "finess.csv").write_bytes(finess_file(STRUCTURES, GEOS))
    assert refresh({"finess": urls["finess"]})["changed"] == ["finess"]
    assert _names(a) == {"EHPAD du Furan"}
    connection.set_schema_to_public()


def test_without_configured_sources_the_weekly_task_does_nothing(settings):
    settings.NATIONAL_EXTRACT_URLS = {"rpps": "", "finess": ""}
    assert refresh_national_extracts_task.apply().get() == {"skipped": "no national extract URL configured"}


@pytest.mark.worker
def test_the_weekly_refresh_runs_in_a_real_worker(real_worker, world, django_db_blocker, national_server):
    _served, urls = national_server
    a, b = world.a.schema_name, world.b.schema_name
    with django_db_blocker.unblock():
        with schema_context(a):
            territory_services.add_communes(actor=SYSTEM, codes=["42218"])
        connection.set_schema_to_public()
        try:
            # The worker keeps the downloads in its own folder (its settings): a fresh URL each run.
            refresh_national_extracts_task.delay(urls={"rpps": urls["rpps"] + "?run=worker"})

            def imported():
                with schema_context(a):
                    return ImportRun.objects.filter(status__in=["done", "failed"]).first()

            run = wait_until(imported, timeout=90)
            names, b_names = _names(a), _names(b)
        finally:
            with schema_context(a):
                Entry.objects.all().delete()
                ImportRun.objects.all().delete()
                TerritoryCommune.objects.all().delete()
            connection.set_schema_to_public()
    assert run.status == "done" and run.automatic, (run.error, real_worker.log())
    assert names == {"Chloé Lefèvre", "Inès Garcia"} and b_names == set()
    assert "directory.refresh_national_extracts" in real_worker.log()


def test_only_https_sources_and_no_redirect_away_from_https(national_server, settings):
    served, urls = national_server
    with pytest.raises(ValueError, match="https"):
        refresh({"rpps": "http://annuaire.example.fr/extraction.zip"})
    with pytest.raises(ValueError, match="https"):
        refresh({"rpps": "file:///etc/passwd"})
    # The local server sends the download elsewhere over plain HTTP: refused, not followed.
    redirect = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=redirect.serve_forever, daemon=True).start()
    try:
        with pytest.raises(ValueError, match="https"):
            refresh({"rpps": f"http://127.0.0.1:{redirect.server_port}/ps.zip"})
    finally:
        redirect.shutdown()
        redirect.server_close()


class _Redirect(SimpleHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(302)
        self.send_header("Location", "http://annuaire.example.fr/ps.zip")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_file_over_the_size_limit_is_refused_and_leaves_nothing(national_server, territories, settings):
    from pathlib import Path

    _served, urls = national_server
    a, _b = territories
    settings.NATIONAL_EXTRACT_MAX_BYTES = 500  # the zip is smaller, the file it holds is not
    with pytest.raises(ValueError, match="over 500 bytes"):
        refresh({"rpps": urls["rpps"]})
    left = sorted(p.name for p in Path(settings.NATIONAL_EXTRACTS_DIR).iterdir())
    assert left == []
    assert _names(a) == set()
    connection.set_schema_to_public()


def _rows_in(commune: dict, count: int, start: int) -> list[dict]:
    return [
        rpps_row(rpps=rpps_number(start + i), last_name=f"Nom{i}", first_name="Luc", **commune)
        for i in range(count)
    ]


def test_the_weekly_refresh_withdraws_however_many_left_the_complete_extract(national_server, territories):
    served, urls = national_server
    a, _b = territories
    st_etienne, paris = _rows_in(SAINT_ETIENNE, 30, 1000), _rows_in(PARIS, 30, 2000)
    (served / "ps-libreacces.zip").write_bytes(
        _zip("ps_personne_activite.txt", rpps_file(st_etienne + paris))
    )
    refresh({"rpps": urls["rpps"]})
    assert len(_names(a)) == 30
    # A week later 25 of A's 30 professionals are gone (a territory emptied, say); the national file
    # itself is as large as before: no partial-file guard for the whole national extract.
    later = time.time() + 5
    kept, arrived = st_etienne[:5], _rows_in(PARIS, 25, 3000)
    (served / "ps-libreacces.zip").write_bytes(
        _zip("ps_personne_activite.txt", rpps_file(kept + paris + arrived))
    )
    os.utime(served / "ps-libreacces.zip", (later, later))
    refresh({"rpps": urls["rpps"]})
    assert len(_names(a)) == 5
    with schema_context(a):
        assert ImportRun.objects.order_by("-pk").first().report["rpps"]["withdrawn"] == 25
    connection.set_schema_to_public()


def test_a_national_file_far_shorter_than_last_week_s_is_not_imported(
    national_server, territories, monkeypatch
):
    from apps.directory import national

    monkeypatch.setattr(national, "MIN_LINES_CHECKED", 10)
    served, urls = national_server
    a, _b = territories
    st_etienne, paris = _rows_in(SAINT_ETIENNE, 10, 1000), _rows_in(PARIS, 40, 2000)
    (served / "ps-libreacces.zip").write_bytes(
        _zip("ps_personne_activite.txt", rpps_file(st_etienne + paris))
    )
    refresh({"rpps": urls["rpps"]})
    later = time.time() + 5
    (served / "ps-libreacces.zip").write_bytes(_zip("ps_personne_activite.txt", rpps_file(st_etienne[:2])))
    os.utime(served / "ps-libreacces.zip", (later, later))
    with pytest.raises(ValueError, match="looks truncated"):
        refresh({"rpps": urls["rpps"]})
    assert len(_names(a)) == 10
    with schema_context(a):
        assert ImportRun.objects.count() == 1
    connection.set_schema_to_public()
