"""Listing requests (public form, spam defences, moderation, e-mail) and claiming an entry."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.directory import services
from apps.directory.models import Entry, ListingRequest
from apps.professionals.models import ProfessionalProfile
from tenants.actors import SYSTEM
from tests.conftest import HOST_A
from tests.factories.directory_files import rpps_number
from workers.directory import notify_listing_requester_task

unverified_claims = importlib.import_module("apps.directory.migrations.0010_unverified_claims_to_review")

FORM = {
    "kind": "professional", "name": "Inès Garcia", "profession": "Orthophoniste", "identifier": "",
    "address": "5 rue Balay", "postcode": "42000", "city": "Saint-Étienne", "phone": "0477112233",
    "website": "", "email": "ines@exemple.fr", "message": "Installée depuis janvier.",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def _client(ip="203.0.113.7"):
    return Client(HTTP_HOST=HOST_A, REMOTE_ADDR=ip)


def test_a_listing_request_is_stored_for_moderation(community_a):
    response = _client().post("/annuaire/referencement/", FORM)
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        listing = ListingRequest.objects.get()
        assert (listing.name, listing.status, listing.email) == ("Inès Garcia", "pending", "ines@exemple.fr")


def test_the_honeypot_stores_nothing(community_a):
    response = _client().post("/annuaire/referencement/", {**FORM, "fax_number": "0102030405"})
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        assert ListingRequest.objects.count() == 0


def test_bad_input_gets_french_errors(community_a):
    response = _client().post("/annuaire/referencement/", {**FORM, "postcode": "42", "email": "pas-un-mail"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "code postal à 5 chiffres" in body and "adresse e-mail valide" in body


def test_requests_are_rate_limited_per_client(community_a):
    for _ in range(5):
        assert _client().post("/annuaire/referencement/", FORM).status_code == 302
    response = _client().post("/annuaire/referencement/", FORM)
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
    assert _client(ip="198.51.100.1").post("/annuaire/referencement/", FORM).status_code == 302
    with schema_context(community_a.schema_name):
        assert ListingRequest.objects.count() == 6


def _pending(community):
    with schema_context(community.schema_name):
        return ListingRequest.objects.create(**{k: v for k, v in FORM.items()})


def test_accepting_creates_the_entry_and_tells_the_requester_once(
    community_a, alice, client_as, django_capture_on_commit_callbacks
):
    listing = _pending(community_a)
    client = client_as(alice, HOST_A)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/equipe/annuaire/demandes/{listing.pk}/", {"decision": "accept"})
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        listing.refresh_from_db()
        entry = Entry.objects.get(pk=listing.entry_id)
        assert (entry.name, entry.source, entry.places.get().commune_id) == (
            "Inès Garcia",
            "request",
            "42218",
        )
        assert listing.notified_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ines@exemple.fr"]
    assert "acceptée" in mail.outbox[0].body
    # Runs twice, sends once.
    assert notify_listing_requester_task.apply(args=(community_a.schema_name, listing.pk)).get() == "skipped"
    assert len(mail.outbox) == 1
    # Deciding again is refused.
    client_as(alice, HOST_A).post(f"/equipe/annuaire/demandes/{listing.pk}/", {"decision": "reject"})
    with schema_context(community_a.schema_name):
        assert ListingRequest.objects.get(pk=listing.pk).status == "accepted"


def test_refusing_tells_the_requester_with_the_team_note(
    community_a, alice, client_as, django_capture_on_commit_callbacks
):
    listing = _pending(community_a)
    client = client_as(alice, HOST_A)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/equipe/annuaire/demandes/{listing.pk}/",
            {"decision": "reject", "note": "Hors de notre territoire."},
        )
    with schema_context(community_a.schema_name):
        assert ListingRequest.objects.get(pk=listing.pk).status == "rejected"
        assert Entry.objects.count() == 0
    assert "Hors de notre territoire." in mail.outbox[0].body
    assert "l'équipe de la CPTS Alpha n'a pas retenu" in mail.outbox[0].body
    assert mail.outbox[0].subject.endswith("auprès de la CPTS Alpha")


def test_bob_and_charlie_cannot_moderate(community_a, bob, charlie, client_as):
    listing = _pending(community_a)
    assert (
        client_as(charlie, HOST_A)
        .post(f"/equipe/annuaire/demandes/{listing.pk}/", {"decision": "accept"})
        .status_code
        == 404
    )
    assert (
        client_as(bob, HOST_A)
        .post(f"/equipe/annuaire/demandes/{listing.pk}/", {"decision": "accept"})
        .status_code
        == 403
    )
    with schema_context(community_a.schema_name):
        assert ListingRequest.objects.get(pk=listing.pk).status == "pending"
    assert mail.outbox == []


@pytest.fixture
def bobs_entry(community_a, bob):
    ProfessionalProfile.objects.create(
        user=bob, profession="70", identifier_type="rpps", identifier=rpps_number(77), practice_mode="L",
        practice_place="Cabinet", commune="Saint-Étienne",
    )  # fmt: skip
    with schema_context(community_a.schema_name):
        return services.create_entry(
            actor=SYSTEM,
            fields={"kind": "professional", "family": "liberal", "name": "Bob Membre", "identifier_type": "rpps",
                    "identifier": rpps_number(77), "profession": "Masseur-Kinésithérapeute"},
        )  # fmt: skip


WHY = "Je suis Bob Membre, kiné au cabinet de la place Jean Jaurès, joignable au 04 77 00 00 00."


def _claim(client, entry, message=WHY):
    return client.post(f"/annuaire/{entry.pk}/revendiquer/", {"message": message})


def test_a_claim_is_a_request_the_team_sees_and_nothing_changes_before_it_is_accepted(
    bobs_entry, bob, alice, client_as, community_a, django_capture_on_commit_callbacks
):
    client = client_as(bob, HOST_A)
    assert "C'est ma fiche" in client.get(f"/annuaire/{bobs_entry.pk}/").content.decode()
    form = client.get(f"/annuaire/{bobs_entry.pk}/revendiquer/")
    assert form.status_code == 200 and "Pourquoi cette fiche est-elle la vôtre" in form.content.decode()
    assert _claim(client, bobs_entry).status_code == 302
    # Nothing public changed: the entry is nobody's, its public fields cannot be edited.
    bobs_entry.refresh_from_db()
    assert bobs_entry.claimed_by_id is None
    assert client.get(f"/annuaire/{bobs_entry.pk}/ma-fiche/").status_code == 404
    client.post(f"/annuaire/{bobs_entry.pk}/ma-fiche/", {"website": "https://pirate.exemple"})
    bobs_entry.refresh_from_db()
    assert bobs_entry.website == ""
    page = client.get(f"/annuaire/{bobs_entry.pk}/").content.decode()
    assert "en cours d&#x27;examen" in page or "en cours d'examen" in page
    assert "C'est ma fiche" not in page
    # A second request while the first is pending is refused.
    _claim(client, bobs_entry)
    with schema_context(community_a.schema_name):
        claim = ListingRequest.objects.get(purpose="claim")
        assert (claim.status, claim.entry_id, claim.requested_by_id, claim.email) == (
            "pending",
            bobs_entry.pk,
            bob.pk,
            bob.email,
        )
    # The team sees who asks (account, e-mail, professional profile) and why.
    team_page = client_as(alice, HOST_A).get("/equipe/annuaire/").content.decode()
    assert "Revendication" in team_page and bob.email in team_page
    assert rpps_number(77) in team_page and "Masseur-kinésithérapeute" in team_page
    assert "place Jean Jaurès" in team_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(alice, HOST_A).post(
            f"/equipe/annuaire/demandes/{claim.pk}/", {"decision": "accept"}
        )
    assert response.status_code == 302
    bobs_entry.refresh_from_db()
    assert bobs_entry.claimed_by_id == bob.pk
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [bob.email]
    assert (
        "liée à votre compte" in mail.outbox[0].body
        and f"/annuaire/{bobs_entry.pk}/ma-fiche/" in mail.outbox[0].body
    )
    # Now, and only now, Bob edits the public fields.
    response = client.post(
        f"/annuaire/{bobs_entry.pk}/ma-fiche/",
        {"accepts_new_patients": "true", "website": "https://kine.exemple.fr", "description": "Kiné du sport",
         "languages_text": "anglais"},
    )  # fmt: skip
    assert response.status_code == 302
    bobs_entry.refresh_from_db()
    assert (bobs_entry.claimed_by_id, bobs_entry.accepts_new_patients, bobs_entry.languages) == (
        bob.pk,
        True,
        ["anglais"],
    )
    assert bobs_entry.website == "https://kine.exemple.fr" and bobs_entry.name == "Bob Membre"


def test_a_refused_claim_changes_nothing_and_the_claimant_is_told(
    bobs_entry, bob, alice, client_as, community_a, django_capture_on_commit_callbacks
):
    _claim(client_as(bob, HOST_A), bobs_entry)
    with schema_context(community_a.schema_name):
        claim = ListingRequest.objects.get(purpose="claim")
    with django_capture_on_commit_callbacks(execute=True):
        client_as(alice, HOST_A).post(
            f"/equipe/annuaire/demandes/{claim.pk}/",
            {"decision": "reject", "note": "Le cabinet ne vous connaît pas."},
        )
    bobs_entry.refresh_from_db()
    assert bobs_entry.claimed_by_id is None
    assert client_as(bob, HOST_A).get(f"/annuaire/{bobs_entry.pk}/ma-fiche/").status_code == 404
    assert mail.outbox[0].to == [bob.email]
    assert "pas accepté" in mail.outbox[0].body and "Le cabinet ne vous connaît pas." in mail.outbox[0].body


def test_a_claim_needs_a_word_on_why(bobs_entry, bob, client_as, community_a):
    response = _claim(client_as(bob, HOST_A), bobs_entry, message="  ")
    assert response.status_code == 200
    assert "Dites à l&#x27;équipe qui vous êtes" in response.content.decode()
    with schema_context(community_a.schema_name):
        assert not ListingRequest.objects.filter(purpose="claim").exists()


def test_nobody_else_can_claim_or_edit_it(bobs_entry, alice, charlie, client_as, community_a):
    assert (
        "C'est ma fiche" not in client_as(alice, HOST_A).get(f"/annuaire/{bobs_entry.pk}/").content.decode()
    )
    assert (
        client_as(alice, HOST_A).post(f"/annuaire/{bobs_entry.pk}/revendiquer/", {"message": WHY}).status_code
        == 302
    )
    assert (
        client_as(charlie, HOST_A)
        .post(f"/annuaire/{bobs_entry.pk}/revendiquer/", {"message": WHY})
        .status_code
        == 404
    )
    assert client_as(alice, HOST_A).get(f"/annuaire/{bobs_entry.pk}/ma-fiche/").status_code == 404
    with schema_context(community_a.schema_name):
        assert Entry.objects.get(pk=bobs_entry.pk).claimed_by_id is None
        assert not ListingRequest.objects.filter(purpose="claim").exists()


def test_a_claim_cannot_be_granted_over_another_accounts_link(bobs_entry, bob, alice, client_as, community_a):
    _claim(client_as(bob, HOST_A), bobs_entry)
    with schema_context(community_a.schema_name):
        claim = ListingRequest.objects.get(purpose="claim")
        Entry.objects.filter(pk=bobs_entry.pk).update(claimed_by=alice)
        with pytest.raises(ValidationError, match="déjà liée à un autre compte"):
            services.decide_listing_request(actor=alice, listing=claim, accept=True)
        assert ListingRequest.objects.get(pk=claim.pk).status == "pending"
        assert Entry.objects.get(pk=bobs_entry.pk).claimed_by_id == alice.pk


def test_the_team_is_warned_when_the_account_does_not_look_like_the_entry(
    bobs_entry, alice, client_as, community_a
):
    # Alice types Bob's public RPPS into her own profile, as anyone could.
    ProfessionalProfile.objects.create(
        user=alice, profession="10", identifier_type="rpps", identifier=rpps_number(77), practice_mode="L",
        practice_place="Ailleurs", commune="Lyon",
    )  # fmt: skip
    with schema_context(community_a.schema_name):
        Entry.objects.filter(pk=bobs_entry.pk).update(last_name="Membre", profession_code="70")
    assert _claim(client_as(alice, HOST_A), bobs_entry).status_code == 302
    page = client_as(alice, HOST_A).get("/equipe/annuaire/").content.decode()
    assert "À vérifier" in page
    assert "n&#x27;est pas celui de la fiche (Bob Membre)" in page
    assert "Profession du profil : Médecin ; profession de la fiche : Masseur-Kinésithérapeute." in page
    bobs_entry.refresh_from_db()
    assert bobs_entry.claimed_by_id is None


def test_claims_made_before_the_review_go_back_to_the_team(bobs_entry, bob, community_a):
    with schema_context(community_a.schema_name):
        Entry.objects.filter(pk=bobs_entry.pk).update(claimed_by=bob, claimed_at=timezone.now())
        assert (
            unverified_claims.queue_unverified_claims(django_apps, SimpleNamespace(connection=connection))
            == 1
        )
        assert Entry.objects.get(pk=bobs_entry.pk).claimed_by_id is None
        claim = ListingRequest.objects.get(purpose="claim")
        assert (claim.status, claim.entry_id, claim.requested_by_id, claim.email) == (
            "pending",
            bobs_entry.pk,
            bob.pk,
            bob.email,
        )
        assert "seule foi du numéro RPPS" in claim.message
        # A claim the team accepted stays.
        services.decide_listing_request(actor=SYSTEM, listing=claim, accept=True)
        assert (
            unverified_claims.queue_unverified_claims(django_apps, SimpleNamespace(connection=connection))
            == 0
        )
        assert Entry.objects.get(pk=bobs_entry.pk).claimed_by_id == bob.pk
