"""Roles are checked in request.tenant: a session or a token valid on A grants nothing on B."""

from django.test import Client
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from apps.members.models import Invitation, Membership
from tests.conftest import HOST_A, HOST_B, PASSWORD

PROTECTED_PAGES_OF_A = ["/mon-espace/", "/equipe/"]


def invitations_in_a(community_a):
    with schema_context(community_a.schema_name):
        return list(Invitation.objects.values_list("email", flat=True))


def test_charlie_gets_404_on_every_protected_page_of_a(charlie, community_a, client_as):
    client = client_as(charlie, HOST_A)
    for page in PROTECTED_PAGES_OF_A:
        assert client.get(page).status_code == 404, page
    assert client.get("/api/v1/me").status_code == 404


def test_charlie_cannot_invite_into_a_and_nothing_changes(charlie, community_a, client_as):
    before = invitations_in_a(community_a)
    response = client_as(charlie, HOST_A).post("/equipe/", {"email": "intrus@test.fr", "role": "admin"})
    assert response.status_code == 404
    assert invitations_in_a(community_a) == before


def test_bob_a_plain_member_gets_403_on_the_team_space(bob, community_a, client_as):
    client = client_as(bob, HOST_A)
    before = invitations_in_a(community_a)
    assert client.get("/mon-espace/").status_code == 200
    assert client.get("/equipe/").status_code == 403
    assert client.post("/equipe/", {"email": "x@test.fr", "role": "admin"}).status_code == 403
    assert invitations_in_a(community_a) == before


def test_alice_sees_the_members_of_a_only(alice, client_as):
    response = client_as(alice, HOST_A).get("/equipe/")
    assert response.status_code == 200
    assert "bob@test.fr" in response.text
    assert "charlie@test.fr" not in response.text


def test_a_session_opened_on_a_is_anonymous_on_b(alice, community_b):
    client_a = Client(HTTP_HOST=HOST_A)
    response = client_a.post("/compte/connexion/", {"username": "alice@test.fr", "password": PASSWORD})
    assert response.status_code == 302
    assert client_a.get("/mon-espace/").status_code == 200
    # The same cookie presented to B (copied by hand): anonymous there.
    client_b = Client(HTTP_HOST=HOST_B)
    client_b.cookies = client_a.cookies
    response = client_b.get("/mon-espace/")
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]


def test_wrong_password_shows_a_french_error(world, db):
    response = Client(HTTP_HOST=HOST_A).post(
        "/compte/connexion/", {"username": "alice@test.fr", "password": "non"}
    )
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.text


def test_a_token_of_a_member_of_b_gives_404_on_a_api(charlie):
    token, _ = Token.objects.get_or_create(user=charlie)
    response = Client(HTTP_HOST=HOST_A, HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/me")
    assert response.status_code == 404
    ok = Client(HTTP_HOST=HOST_B, HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/me")
    assert ok.status_code == 200 and ok.json()["role"] == "member"


def test_one_account_holds_different_roles_in_a_and_b(bob, community_b, client_as):
    from apps.members.services import grant_role

    with schema_context(community_b.schema_name):
        grant_role(user=bob, role="team")
    on_a, on_b = client_as(bob, HOST_A), client_as(bob, HOST_B)
    assert on_a.get("/equipe/").status_code == 403
    assert on_b.get("/equipe/").status_code == 200
    assert on_a.get("/api/v1/me").json()["role"] == "member"
    assert on_b.get("/api/v1/me").json()["role"] == "team"
    with schema_context(community_b.schema_name):
        assert Membership.objects.filter(user=bob).count() == 1


def test_password_reset_on_a_cpts_host(bob, mailoutbox):
    client = Client(HTTP_HOST=HOST_A)
    assert client.post("/compte/mot-de-passe/oubli/", {"email": "bob@test.fr"}).status_code == 302
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/mot-de-passe/nouveau/" in line).strip()
    path = link.split(HOST_A, 1)[1]
    form_url = client.get(path)["Location"]
    response = client.post(
        form_url, {"new_password1": "un-nouveau-mot-de-passe", "new_password2": "un-nouveau-mot-de-passe"}
    )
    assert response.status_code == 302
    login = Client(HTTP_HOST=HOST_A).post(
        "/compte/connexion/", {"username": "bob@test.fr", "password": "un-nouveau-mot-de-passe"}
    )
    assert login.status_code == 302
