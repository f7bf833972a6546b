"""« Mes CPTS »: moving from one of my CPTS to another opens a session there through a signed,
single-use, short-lived hand-off, only if the account holds a role there; a forged, replayed,
expired or foreign hand-off opens nothing. Sessions stay bound to their CPTS."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.handoff import SALT, make_handoff
from apps.accounts.middleware import SESSION_COMMUNITY_KEY
from apps.members.models import Membership
from apps.members.services import grant_role
from tests.conftest import HOST_A, HOST_B


@pytest.fixture
def bob_in_both(bob, community_a, community_b):
    with schema_context(community_b.schema_name):
        grant_role(user=bob, role="member")
    return bob


def _arrive(location: str) -> tuple[object, Client]:
    parts = urlsplit(location)
    client = Client(HTTP_HOST=parts.hostname)
    return client.get(f"{parts.path}?{parts.query}"), client


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_member_space_links_to_the_other_cpts_through_a_hand_off(bob_in_both, client_as):
    page = client_as(bob_in_both, HOST_A).get("/mon-espace/").content.decode()
    assert 'href="/compte/vers/beta/"' in page


def test_a_hand_off_opens_a_session_on_the_other_cpts(bob_in_both, client_as, community_b):
    on_a = client_as(bob_in_both, HOST_A)
    leaving = on_a.get("/compte/vers/beta/")
    assert leaving.status_code == 302
    assert leaving["Location"].startswith("http://beta.localhost/compte/arrivee/?jeton=")
    arrived, on_b = _arrive(leaving["Location"])
    assert arrived.status_code == 302 and arrived["Location"] == "/mon-espace/"
    assert on_b.get("/mon-espace/").status_code == 200
    assert on_b.session[SESSION_COMMUNITY_KEY] == community_b.schema_name
    assert on_a.get("/mon-espace/").status_code == 200  # A's session is untouched


def test_a_replayed_hand_off_opens_nothing(bob_in_both, client_as):
    location = client_as(bob_in_both, HOST_A).get("/compte/vers/beta/")["Location"]
    first, _ = _arrive(location)
    assert first.status_code == 302
    replay, client = _arrive(location)
    assert replay.status_code == 403 and not _signed_in(client)
    assert "plus valable" in replay.content.decode()


def test_an_expired_hand_off_opens_nothing(bob_in_both, client_as, settings):
    location = client_as(bob_in_both, HOST_A).get("/compte/vers/beta/")["Location"]
    settings.HANDOFF_MAX_AGE = -1
    response, client = _arrive(location)
    assert response.status_code == 403 and not _signed_in(client)


def test_a_forged_hand_off_opens_nothing(bob_in_both, community_b):
    payload = {"u": bob_in_both.pk, "s": community_b.schema_name, "j": "abc"}
    genuine = make_handoff(bob_in_both, community_b)
    for token in (
        signing.dumps(payload, salt="autre-usage"),  # signed for something else
        signing.dumps(payload, salt=SALT, key="pas-la-cle-du-site"),  # not with our key
        genuine[:-3] + ("xyz" if not genuine.endswith("xyz") else "abc"),  # tampered
        "",
    ):
        client = Client(HTTP_HOST=HOST_B)
        response = client.get("/compte/arrivee/", {"jeton": token})
        assert response.status_code == 403 and not _signed_in(client)


def test_a_foreign_hand_off_opens_nothing(bob_in_both, charlie, community_a, community_b):
    # Made for B, presented on A.
    client = Client(HTTP_HOST=HOST_A)
    response = client.get("/compte/arrivee/", {"jeton": make_handoff(bob_in_both, community_b)})
    assert response.status_code == 403 and not _signed_in(client)
    # Made for A for an account with no role in A (charlie is in B only).
    client = Client(HTTP_HOST=HOST_A)
    response = client.get("/compte/arrivee/", {"jeton": make_handoff(charlie, community_a)})
    assert response.status_code == 403 and not _signed_in(client)


def test_a_hand_off_is_not_issued_towards_a_cpts_where_the_account_has_no_role(bob, client_as, community_b):
    assert client_as(bob, HOST_A).get("/compte/vers/beta/").status_code == 404
    assert client_as(bob, HOST_A).get("/compte/vers/inexistante/").status_code == 404
    anonymous = Client(HTTP_HOST=HOST_A).get("/compte/vers/beta/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/compte/connexion/")


def test_a_role_removed_after_the_hand_off_was_issued_opens_nothing(bob_in_both, client_as, community_b):
    location = client_as(bob_in_both, HOST_A).get("/compte/vers/beta/")["Location"]
    with schema_context(community_b.schema_name):
        Membership.objects.filter(user=bob_in_both).update(is_active=False)
    response, client = _arrive(location)
    assert response.status_code == 403 and not _signed_in(client)
