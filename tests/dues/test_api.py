"""/api/v1/members/me and the team list: scoped to the CPTS, 404 outsiders, 403 members."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from apps.dues.models import Dues, Tier
from apps.members.models import Membership
from tests.conftest import HOST_A


def _bob_paid(community_a, bob):
    with schema_context(community_a.schema_name):
        tier = Tier.objects.first()
        Dues.objects.create(
            membership=Membership.objects.get(user=bob), year=timezone.now().year, tier=tier, amount=tier.price,
            status="active",
        )  # fmt: skip


def test_a_member_reads_his_own_membership_and_dues(community_a, bob, client_as):
    _bob_paid(community_a, bob)
    response = client_as(bob, HOST_A).get("/api/v1/members/me")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "bob@test.fr" and body["role"] == "member" and body["profile"] is None
    assert [(d["year"], d["status"], d["tier"], d["amount"]) for d in body["dues"]] == [
        (timezone.now().year, "active", "Adhésion classique", "5.00")
    ]


def test_the_team_lists_members_with_filters(community_a, alice, bob, client_as):
    _bob_paid(community_a, bob)
    api = client_as(alice, HOST_A)
    everyone = api.get("/api/v1/members/").json()
    assert {row["email"] for row in everyone["results"]} >= {"alice@test.fr", "bob@test.fr"}
    active = api.get("/api/v1/members/", {"status": "active"}).json()
    assert [(r["email"], r["dues"]["status"]) for r in active["results"]] == [("bob@test.fr", "active")]
    none = api.get("/api/v1/members/", {"status": "none"}).json()
    assert "bob@test.fr" not in {r["email"] for r in none["results"]}
    assert api.get("/api/v1/members/", {"year": "deux-mille"}).status_code == 400
    bad = api.get("/api/v1/members/", {"status": "whatever"})
    assert bad.status_code == 400 and bad.json()["detail"] == "Statut de cotisation inconnu."


def test_charlie_gets_404_on_as_member_api_and_bob_403_on_the_team_list(community_a, bob, charlie, client_as):
    _bob_paid(community_a, bob)
    outsider = client_as(charlie, HOST_A)
    assert outsider.get("/api/v1/members/me").status_code == 404
    response = outsider.get("/api/v1/members/")
    assert response.status_code == 404 and "bob@test.fr" not in response.content.decode()
    assert client_as(bob, HOST_A).get("/api/v1/members/").status_code == 403


def test_the_member_endpoints_are_in_the_openapi_schema(community_a, alice, client_as):
    schema = client_as(alice, HOST_A).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/members/me" in schema["paths"] and "/api/v1/members/" in schema["paths"]
