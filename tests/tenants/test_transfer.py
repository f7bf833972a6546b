"""One CPTS out and back: export_community writes an archive (pg_dump -n of its schema, its public
rows, its files), import_community restores it under another slug on this platform, or after the
original and its people's accounts are gone (as on another platform). Committed for real: pg_dump
and psql are other sessions."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from apps.members.models import Membership
from apps.members.services import grant_role
from apps.professionals.models import AccountCommunity
from tenants.models import Community, Domain
from tenants.provisioning import domain_for
from tenants.transfer import export_community, import_community, stored_files


def table_digests(schema: str) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row, per table of ``schema``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema])
        tables = [row[0] for row in cursor.fetchall()]
        digests = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "  # noqa: S608
                f'FROM "{schema}"."{table}" t'
            )
            digests[table] = cursor.fetchone()
    return digests


def sequences(schema: str) -> dict[str, int | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s ORDER BY 1", [schema]
        )
        return dict(cursor.fetchall())


def file_contents(schema: str) -> dict[str, bytes]:
    with schema_context(schema):
        return {name: default_storage.open(name, "rb").read() for name in stored_files(schema)}


def drop_community(slug: str) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
    Community.objects.filter(schema_name=slug).delete()


@pytest.fixture
def committed(world, django_db_blocker):
    """Runs the test outside a test transaction; drops the CPTS it names in ``made`` afterwards."""
    made: list[str] = []
    with django_db_blocker.unblock():
        yield made
        for slug in made:
            with schema_context(slug):
                for name in stored_files(slug):
                    default_storage.delete(name)
            drop_community(slug)


def test_a_round_trip_restores_every_table_sequence_and_file_identical(world, committed):
    committed.append("alpha-copie")
    with schema_context("alpha"):
        stored = default_storage.save("groupes/compte-rendu.pdf", ContentFile(b"%PDF-1.4 alpha"))
    try:
        before = table_digests("alpha")
        assert before["members_membership"][0] >= 2 and before["django_migrations"][0] > 50
        archive = io.BytesIO()
        manifest = export_community("alpha", archive)
        assert stored in manifest["files"]
        archive.seek(0)

        report = import_community(archive, slug="alpha-copie")

        assert table_digests("alpha-copie") == before
        assert sequences("alpha-copie") == sequences("alpha")
        assert any(value for value in sequences("alpha").values())
        assert file_contents("alpha-copie") == file_contents("alpha")
        assert report.files == len(manifest["files"]) >= 1
        assert report.accounts_created == 0
        copy = Community.objects.get(schema_name="alpha-copie")
        assert copy.name == world.a.name and copy.status == Community.Status.ACTIVE
        assert list(copy.domains.values_list("domain", "is_primary")) == [(domain_for("alpha-copie"), True)]
        links = set(AccountCommunity.objects.filter(community=copy).values_list("user_id", flat=True))
        assert links == set(
            AccountCommunity.objects.filter(community=world.a).values_list("user_id", flat=True)
        )
        assert links >= {world.alice.pk, world.bob.pk}
        # The copy answers on its own host.
        assert Client(HTTP_HOST=domain_for("alpha-copie")).get("/").status_code == 200
    finally:
        with schema_context("alpha"):
            default_storage.delete(stored)


def test_a_cpts_moved_after_its_original_and_accounts_are_gone_gets_its_people_back(world, committed):
    committed.extend(["depart", "arrivee"])
    users = get_user_model().objects
    departing = Community(schema_name="depart", name="CPTS du Départ", status=Community.Status.ACTIVE)
    departing.save()
    Domain.objects.create(domain=domain_for("depart"), tenant=departing, is_primary=True)
    dave = users.create_user("dave@depart.fr", "x", first_name="Dave", last_name="Départ")
    with schema_context("depart"):
        grant_role(user=dave, role="member", dues_exempt=True)
        grant_role(user=world.bob, role="member", dues_exempt=True)
        counts = {table: count for table, (count, _digest) in table_digests("depart").items()}
    archive = io.BytesIO()
    export_community("depart", archive)
    old_dave = dave.pk
    drop_community("depart")
    # Gone from this platform (Django's delete would look for his rows in every CPTS table).
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [old_dave])
    archive.seek(0)

    report = import_community(archive, slug="arrivee", name="CPTS de l'Arrivée")

    assert (report.accounts_created, report.accounts_matched) == (1, 1)
    new_dave = users.get(email="dave@depart.fr")
    assert new_dave.pk != old_dave and not new_dave.has_usable_password()
    assert (new_dave.first_name, new_dave.last_name) == ("Dave", "Départ")
    with schema_context("arrivee"):
        assert set(Membership.objects.values_list("user_id", flat=True)) == {new_dave.pk, world.bob.pk}
    assert {table: count for table, (count, _digest) in table_digests("arrivee").items()} == counts
    arrived = Community.objects.get(schema_name="arrivee")
    assert arrived.name == "CPTS de l'Arrivée"
    assert set(AccountCommunity.objects.filter(community=arrived).values_list("user_id", flat=True)) == {
        new_dave.pk,
        world.bob.pk,
    }


def test_an_import_under_a_taken_slug_is_refused_in_french_and_leaves_nothing(world, committed, tmp_path):
    path = tmp_path / "beta.tar.gz"
    call_command("export_community", "beta", output=path)
    before = Community.objects.count()
    with pytest.raises(CommandError, match="Une CPTS utilise déjà l'identifiant « alpha »"):
        call_command("import_community", path, slug="alpha")
    with pytest.raises(CommandError, match="Aucune CPTS « nulle-part »"):
        call_command("export_community", "nulle-part", output=tmp_path / "x.tar.gz")
    assert Community.objects.count() == before


def test_the_operator_console_offers_the_archive_for_download(
    world, db, operator_client, client_as, mailoutbox, django_capture_on_commit_callbacks
):
    import json
    import tarfile

    from tests.conftest import PLATFORM_HOST

    assert 'action="/console/cpts/beta/archive/"' in operator_client.get("/console/").content.decode()
    # Asked in the request, built by the task after commit (eager here; a real worker in
    # tests/compliance/test_data_exports.py), announced by e-mail, downloaded from the console.
    with django_capture_on_commit_callbacks(execute=True):
        asked = operator_client.post("/console/cpts/beta/archive/")
    assert asked.status_code == 302 and asked["Location"] == "/console/archives/"
    page = operator_client.get("/console/archives/").content.decode()
    assert "CPTS Bêta" in page and "Prête (lien valable jusqu" in page
    assert [m.to for m in mailoutbox] == [[world.operator.email]]
    assert "L'archive de « CPTS Bêta » est prête" in mailoutbox[0].subject
    link = re.search(r'href="(/console/archives/\d+/)"', page).group(1)
    response = operator_client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    assert response["Content-Disposition"].startswith('attachment; filename="cpts-beta-')
    with tarfile.open(fileobj=io.BytesIO(b"".join(response.streaming_content)), mode="r:gz") as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        assert {"schema-pre-data.sql", "schema-data.sql", "schema-post-data.sql", "public.json"} <= set(
            archive.getnames()
        )
    assert manifest["slug"] == "beta"

    assert operator_client.post("/console/cpts/nulle-part/archive/").status_code == 404
    assert operator_client.get("/console/cpts/beta/archive/").status_code == 405
    charlie = client_as(world.charlie, PLATFORM_HOST)
    assert charlie.post("/console/cpts/beta/archive/").status_code == 403
    assert charlie.get(link).status_code == 403
    assert charlie.get("/console/archives/").status_code == 403
