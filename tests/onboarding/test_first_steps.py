"""« Premiers pas »: a new CPTS's administrator walks through identity, territory (communes ticked
several at a time or a whole EPCI, no reload), directory (filled from the national extract the
platform holds), tiers, Stripe, first news and publication; the progress follows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_tenants.utils import schema_context

from apps.directory.models import Entry, ImportRun
from apps.directory.national import national_dir
from apps.dues.models import Tier
from apps.geo.models import Epci
from apps.geo.selectors import search_epcis
from apps.members.services import invite, issue_invitation_token
from apps.onboarding import services
from apps.onboarding.member_space import first_steps_panel
from apps.onboarding.models import CompletedStep
from apps.onboarding.selectors import get_progress
from apps.site.models import NewsItem
from apps.territory.models import TerritoryCommune
from tests.conftest import HOST_A, HOST_B, PASSWORD
from tests.factories.directory_files import rpps_file, rpps_number, rpps_row
from workers.directory import import_held_extracts_task

LORIENT_AGGLO = "200042174"
LORIENT = dict(commune="56121", postcode="56100", city="Lorient")
PARIS = dict(commune="75115", postcode="75015", city="Paris")


def test_the_epci_reference_is_loaded_and_found_by_name_or_by_a_member_commune(world, db):
    agglo = Epci.objects.get(code=LORIENT_AGGLO)
    assert agglo.name == "CA Lorient Agglomération"
    assert len(agglo.members) == 25 and "56121" in agglo.members
    assert [e.code for e in search_epcis("lorient agglo")][:1] == [LORIENT_AGGLO]
    assert LORIENT_AGGLO in [e.code for e in search_epcis("Lanester")]
    assert search_epcis("") == []


def test_an_admin_adds_a_whole_epci_and_ticked_communes_without_a_reload(world, db, client_as):
    client = client_as(world.alice, HOST_A)
    with schema_context(world.a.schema_name):
        TerritoryCommune.objects.all().delete()
    found = client.get("/equipe/premiers-pas/territoire/recherche/", {"q": "Lorient"}, HTTP_HX_REQUEST="true")
    assert found.status_code == 200
    assert (
        f'value="{LORIENT_AGGLO}"' in found.content.decode()
        and "Ajouter ses 25 communes" in found.content.decode()
    )

    added = client.post(
        "/equipe/premiers-pas/territoire/ajouter/", {"epci": LORIENT_AGGLO}, HTTP_HX_REQUEST="true"
    )
    assert added.status_code == 200
    assert "25 commune(s) ajoutée(s)." in added.content.decode()
    assert "<html" not in added.content.decode()  # a fragment, swapped in place
    ticked = client.post(
        "/equipe/premiers-pas/territoire/ajouter/", {"codes": ["29019", "29232"]}, HTTP_HX_REQUEST="true"
    )
    assert "2 commune(s) ajoutée(s)." in ticked.content.decode()
    with schema_context(world.a.schema_name):
        codes = set(TerritoryCommune.objects.values_list("commune_id", flat=True))
    assert len(codes) == 27 and {"56121", "29019", "29232"} <= codes


def test_adding_nothing_or_an_unknown_epci_says_why_in_french_and_adds_nothing(world, db, client_as):
    client = client_as(world.alice, HOST_A)
    with schema_context(world.a.schema_name):
        before = TerritoryCommune.objects.count()
    nothing = client.post("/equipe/premiers-pas/territoire/ajouter/", {}, HTTP_HX_REQUEST="true")
    unknown = client.post("/equipe/premiers-pas/territoire/ajouter/", {"epci": "999"}, HTTP_HX_REQUEST="true")
    assert nothing.status_code == unknown.status_code == 400
    assert "Cochez au moins une commune" in nothing.content.decode()
    assert "Intercommunalité inconnue." in unknown.content.decode()
    with schema_context(world.a.schema_name):
        assert TerritoryCommune.objects.count() == before


def test_closing_the_territory_fills_the_directory_from_the_held_national_extract(
    world, db, client_as, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.NATIONAL_EXTRACTS_DIR = str(tmp_path / "national")
    (national_dir() / "rpps.txt").write_bytes(
        rpps_file(
            [
                rpps_row(rpps=rpps_number(701), last_name="Le Gall", first_name="Maëlle", **LORIENT),
                rpps_row(rpps=rpps_number(702), last_name="Hors", first_name="Territoire", **PARIS),
            ]
        )
    )
    client = client_as(world.alice, HOST_A)
    with schema_context(world.a.schema_name):
        TerritoryCommune.objects.all().delete()
        Entry.objects.all().delete()
    client.post("/equipe/premiers-pas/territoire/ajouter/", {"codes": ["56121"]}, HTTP_HX_REQUEST="true")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/equipe/premiers-pas/territoire/")

    assert response.status_code == 302
    with schema_context(world.a.schema_name):
        run = ImportRun.objects.get()
        names = list(Entry.objects.values_list("last_name", flat=True))
        assert CompletedStep.objects.filter(step="territory").exists()
    assert run.status == "done" and run.automatic
    assert names == ["Le Gall"]
    page = client.get("/equipe/premiers-pas/annuaire/")
    assert "1</strong> professionnels et structures" in page.content.decode()


def test_the_territory_step_cannot_close_empty(world, db, client_as):
    client = client_as(world.alice, HOST_A)
    with schema_context(world.a.schema_name):
        TerritoryCommune.objects.all().delete()
    response = client.post("/equipe/premiers-pas/territoire/")
    assert response.status_code == 400
    assert "Ajoutez au moins une commune" in response.content.decode()
    with schema_context(world.a.schema_name):
        assert not CompletedStep.objects.filter(step="territory").exists()


def test_the_tiers_come_prefilled_and_a_bad_amount_is_refused_under_its_field(world, db, client_as):
    client = client_as(world.alice, HOST_A)
    with schema_context(world.a.schema_name):
        tiers = list(Tier.objects.filter(is_active=True).order_by("order", "price", "pk"))
    page = client.get("/equipe/premiers-pas/formules/").content.decode()
    assert all(f'value="{tier.name}"' in page for tier in tiers)
    data = {f"name_{t.pk}": t.name for t in tiers} | {f"price_{t.pk}": "0.20" for t in tiers}
    refused = client.post("/equipe/premiers-pas/formules/", data)
    assert refused.status_code == 400
    assert "au moins 0,50 €" in refused.content.decode()
    data |= {f"price_{tiers[0].pk}": "30", f"price_{tiers[1].pk}": "0", f"name_{tiers[0].pk}": "Libéral"}
    saved = client.post("/equipe/premiers-pas/formules/", data)
    assert saved.status_code == 302
    with schema_context(world.a.schema_name):
        first = Tier.objects.get(pk=tiers[0].pk)
        assert (first.name, first.price) == ("Libéral", Decimal("30.00"))
        assert Tier.objects.get(pk=tiers[1].pk).price == 0


def test_identity_news_and_publication_move_the_progress(world, db, client_as):
    client = client_as(world.alice, HOST_A)
    with schema_context(world.a.schema_name):
        before = get_progress()
    identity = client.post(
        "/equipe/premiers-pas/identite/",
        {"tagline": "Soigner ensemble", "primary_color": "#0b5fa5", "contact_email": "equipe@alpha.fr"},
    )
    news = client.post(
        "/equipe/premiers-pas/actualite/", {"title": "Ouverture", "body": "<p>Bonjour<script>x</script></p>"}
    )
    publish = client.post("/equipe/premiers-pas/mise-en-ligne/")
    assert identity.status_code == news.status_code == publish.status_code == 302
    with schema_context(world.a.schema_name):
        after = get_progress()
        item = NewsItem.objects.get(title="Ouverture")
    assert item.status == "published" and "<script>" not in item.body
    done = {s.step.key for s in after.states if s.done}
    assert {"identity", "news", "publish"} <= done
    assert after.done_count >= before.done_count + 2


def test_the_first_steps_name_the_cpts_with_its_article(world, db, client_as):
    client = client_as(world.alice, HOST_A)
    overview = client.get("/equipe/premiers-pas/").content.decode()
    assert "ouvrir le site de la CPTS Alpha" in overview
    news = client.get("/equipe/premiers-pas/actualite/").content.decode()
    assert "Le site de la CPTS Alpha est ouvert" in news and "Bienvenue sur le site de la CPTS Alpha." in news
    assert "de CPTS Alpha" not in overview + news


def test_the_admin_sees_the_first_steps_in_the_member_space_until_they_are_done(world, db, client_as):
    page = client_as(world.alice, HOST_A).get("/mon-espace/").content.decode()
    assert "Premiers pas de la CPTS Alpha" in page
    assert "Premiers pas de" not in client_as(world.bob, HOST_A).get("/mon-espace/").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/equipe/premiers-pas/",
        "/equipe/premiers-pas/formules/",
        "/equipe/premiers-pas/territoire/recherche/?q=a",
    ],
)
def test_a_plain_member_gets_403_and_another_cpts_404(world, db, client_as, path):
    assert client_as(world.bob, HOST_A).get(path).status_code == 403
    assert client_as(world.charlie, HOST_A).get(path).status_code == 404


def test_a_plain_member_changes_nothing(world, db, client_as):
    with schema_context(world.a.schema_name):
        before = TerritoryCommune.objects.count()
        with pytest.raises(PermissionDenied):
            services.add_to_territory(actor=world.bob, codes=["56121"])
    response = client_as(world.bob, HOST_A).post(
        "/equipe/premiers-pas/territoire/ajouter/", {"codes": ["56121"]}
    )
    assert response.status_code == 403
    response = client_as(world.charlie, HOST_B).post(
        "/equipe/premiers-pas/territoire/ajouter/", {"codes": ["56121"]}
    )
    assert response.status_code == 403  # charlie is a plain member of B
    with schema_context(world.a.schema_name):
        assert TerritoryCommune.objects.count() == before


def test_importing_the_held_extracts_twice_queues_one_import(world, db, settings, tmp_path):
    settings.NATIONAL_EXTRACTS_DIR = str(tmp_path / "national")
    (national_dir() / "rpps.txt").write_bytes(
        rpps_file([rpps_row(rpps=rpps_number(711), last_name="Kerzerho", first_name="Anne", **LORIENT)])
    )
    with schema_context(world.a.schema_name):
        TerritoryCommune.objects.all().delete()
        TerritoryCommune.objects.create(commune_id="56121")
        ImportRun.objects.all().delete()
    # Inside the test's transaction the import waits for a commit that never comes: the first
    # run stays pending, so the second call finds it under way.
    first = import_held_extracts_task(world.a.schema_name, world.alice.pk)
    second = import_held_extracts_task(world.a.schema_name, world.alice.pk)
    with schema_context(world.a.schema_name):
        runs = list(ImportRun.objects.values_list("status", "created_by_id"))
    assert (first, second) == ("queued", "skipped")
    assert runs == [("pending", world.alice.pk)]


def test_without_a_held_extract_there_is_nothing_to_import(world, db, settings, tmp_path):
    settings.NATIONAL_EXTRACTS_DIR = str(tmp_path / "empty")
    assert import_held_extracts_task(world.a.schema_name) == "skipped"


def test_an_admin_who_accepts_the_invitation_lands_on_the_next_first_step(world, db):
    with schema_context(world.a.schema_name):
        invitation = invite(actor=world.alice, email="nouvelle.admin@test.fr", role="admin")
        token = issue_invitation_token(invitation)
        CompletedStep.objects.create(step="identity")
        TerritoryCommune.objects.all().delete()
    client = Client(HTTP_HOST=HOST_A)
    response = client.post(
        f"/invitation/{token}/",
        {"first_name": "Nina", "last_name": "Admin", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/equipe/premiers-pas/territoire/"


def test_a_member_who_accepts_an_invitation_lands_on_the_member_space(world, db):
    with schema_context(world.a.schema_name):
        token = issue_invitation_token(invite(actor=world.alice, email="nouveau.membre@test.fr"))
    response = Client(HTTP_HOST=HOST_A).post(
        f"/invitation/{token}/",
        {"first_name": "Noé", "last_name": "Membre", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response["Location"] == "/mon-espace/"


def test_the_dashboard_panel_disappears_once_every_step_is_done(world, db, client_as):
    request = client_as(world.alice, HOST_A).get("/mon-espace/").wsgi_request
    with schema_context(world.a.schema_name):
        assert first_steps_panel(request)["first_steps"].total == 7
        for key in ("identity", "territory", "directory", "tiers", "stripe", "news", "publish"):
            CompletedStep.objects.get_or_create(step=key)
        assert first_steps_panel(request) is None


def test_the_team_dashboard_shows_the_first_steps_to_admins_only(world, db, client_as):
    page = client_as(world.alice, HOST_A).get("/equipe/tableau-de-bord/").content.decode()
    assert "Premiers pas de la CPTS Alpha" in page and "/equipe/premiers-pas/" in page
