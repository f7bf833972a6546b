"""The desk's REST API (``/api/v1/access-care/requests/``): the same doors as the pages (team role
declared on the base viewset, module on, « accès aux soins », second factor), every read traced
like the pages', 4xx with a French reason on bad input, nothing to those who may not read."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.access_care import services
from apps.access_care.models import AccessLog, DeskSettings, GpCapacity, PatientRequest, Proposal
from apps.audit.models import AuditEvent
from tests.access_care.conftest import SULLY, request_data
from tests.conftest import HOST_A, verified_operator_client

BASE = "/api/v1/access-care/requests/"


def _submit(n: int, **overrides) -> PatientRequest:
    return services.submit_public_request(
        data=request_data(**overrides), consent=True, client_ip=f"10.3.0.{n}"
    )


def _routes(pk: int) -> list[tuple[str, str, dict]]:
    return [
        ("get", BASE, {}),
        ("get", f"{BASE}?statut=new&prioritaires=1", {}),
        ("get", f"{BASE}{pk}/", {}),
        ("post", f"{BASE}{pk}/status/", {"status": "closed", "close_reason": "moved"}),
        ("get", f"{BASE}{pk}/proposals/", {}),
        ("post", f"{BASE}{pk}/proposals/", {"gp": 1}),
    ]


def _call(client, method: str, url: str, body: dict):
    if method == "post":
        return client.post(url, body, content_type="application/json")
    return client.get(url)


def _snapshot(schema: str):
    with schema_context(schema):
        return (
            list(PatientRequest.objects.order_by("pk").values_list("pk", "status", "priority", "closed_at")),
            list(Proposal.objects.values_list("pk", "status")),
            AccessLog.objects.count(),
            AuditEvent.objects.filter(action="desk.accessed").count(),
        )


@pytest.fixture
def dora_api(desk):
    return verified_operator_client(desk.dora, HOST_A)


@pytest.fixture
def capacity(desk, community_a):
    with schema_context(community_a.schema_name):
        return GpCapacity.objects.create(
            gp=desk.gaston,
            quarter=services.quarter_of(timezone.localdate()),
            places=2,
            practice_commune=SULLY,
            communes=[SULLY],
        )


def test_the_team_lists_and_filters_requests_and_each_row_read_is_logged(desk, community_a, dora_api):
    with schema_context(community_a.schema_name):
        urgent = _submit(1, criteria=("ald",))
        plain = _submit(
            2, last_name="Martin", birth_date=timezone.localdate().replace(year=1990), criteria=()
        )
        before = AccessLog.objects.count()
    response = dora_api.get(BASE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [urgent.pk, plain.pk]
    first = body["results"][0]
    assert (first["last_name"], first["first_name"], first["status"], first["priority"]) == (
        "Lefèvre",
        "Jeanne",
        "new",
        200,
    )
    assert "phone" not in first and "email" not in first  # the list shows what the queue shows
    only_priority = dora_api.get(f"{BASE}?prioritaires=1").json()
    assert [row["id"] for row in only_priority["results"]] == [urgent.pk]
    with schema_context(community_a.schema_name):
        logged = list(
            AccessLog.objects.order_by("pk")[before:].values_list("user_email", "action", "request_id")
        )
    assert sorted(logged) == sorted(
        [
            ("dora@test.fr", "list", urgent.pk),
            ("dora@test.fr", "list", plain.pk),
            ("dora@test.fr", "list", urgent.pk),
        ]
    )


def test_a_malformed_page_number_is_a_400_and_past_the_end_a_404(desk, community_a, dora_api):
    with schema_context(community_a.schema_name):
        _submit(1)
    for value in ("abc", "0", "-1", "1.5"):
        response = dora_api.get(BASE, {"page": value})
        assert response.status_code == 400, value
        assert response.json() == {"page": ["Le numéro de page doit être un entier positif (1, 2, 3…)."]}
    assert dora_api.get(BASE, {"page": "1"}).status_code == 200
    assert dora_api.get(BASE, {"page": "99999"}).status_code == 404


def test_the_detail_opens_the_case_traced_in_the_access_and_audit_logs(desk, community_a, dora_api):
    with schema_context(community_a.schema_name):
        request = _submit(1, helper="Sa fille")
    body = dora_api.get(f"{BASE}{request.pk}/").json()
    assert (body["id"], body["phone"], body["helper"], body["criteria"]) == (
        request.pk,
        "06 12 34 56 78",
        "Sa fille",
        ["ald"],
    )
    assert body["history"][0]["to"] == "new"
    with schema_context(community_a.schema_name):
        assert (
            AccessLog.objects.filter(action="view", request_id=request.pk, user_email="dora@test.fr").count()
            == 1
        )
        assert AuditEvent.objects.filter(action="desk.accessed", target_id=str(request.pk)).count() == 1
    assert dora_api.get(f"{BASE}999999/").status_code == 404


def test_status_transitions_and_proposals_through_the_api(desk, community_a, dora_api, capacity):
    with schema_context(community_a.schema_name):
        request = _submit(1)
    moved = dora_api.post(
        f"{BASE}{request.pk}/status/", {"status": "qualified"}, content_type="application/json"
    )
    assert moved.status_code == 200 and moved.json()["status"] == "qualified"
    proposals = dora_api.get(f"{BASE}{request.pk}/proposals/").json()
    assert proposals["proposals"] == []
    assert [c["gp"] for c in proposals["candidates"]] == [desk.gaston.pk]
    sent = dora_api.post(
        f"{BASE}{request.pk}/proposals/", {"gp": desk.gaston.pk}, content_type="application/json"
    )
    assert sent.status_code == 201 and sent.json()["gp"] == desk.gaston.pk
    with schema_context(community_a.schema_name):
        assert PatientRequest.objects.get(pk=request.pk).status == "proposed"
        assert Proposal.objects.filter(request=request, gp=desk.gaston, status="sent").count() == 1


def test_bad_input_gets_a_4xx_with_a_french_reason_and_changes_nothing(desk, community_a, dora_api, capacity):
    with schema_context(community_a.schema_name):
        request = _submit(1)
    before = _snapshot(community_a.schema_name)
    cases = [
        ("get", f"{BASE}?statut=perdu", {}, "statut"),
        ("get", f"{BASE}?commune=abc", {}, "commune"),
        ("post", f"{BASE}{request.pk}/status/", {"status": "accepted"}, "ne peut pas passer"),
        ("post", f"{BASE}{request.pk}/status/", {"status": "volé"}, "status"),
        ("post", f"{BASE}{request.pk}/status/", {}, "status"),
        ("post", f"{BASE}{request.pk}/status/", {"status": "closed"}, "close_reason"),
        ("post", f"{BASE}{request.pk}/proposals/", {"gp": "x"}, "gp"),
        ("post", f"{BASE}{request.pk}/proposals/", {"gp": desk.dora.pk}, "plus de place"),
        ("post", f"{BASE}{request.pk}/proposals/", {"gp": 99999999}, "gp"),
    ]
    for method, url, body, reason in cases:
        response = _call(dora_api, method, url, body)
        assert response.status_code == 400, (url, body, response.status_code, response.content)
        assert reason in response.content.decode(), (url, body, response.content.decode())
    broken = dora_api.post(f"{BASE}{request.pk}/status/", "{not json", content_type="application/json")
    assert broken.status_code == 400
    # The reads above (lists refused before reading) added nothing but the refused calls' nothing.
    assert _snapshot(community_a.schema_name) == before


def test_charlie_gets_404_on_every_api_route_and_nothing_changes(desk, community_a, client_as, charlie):
    with schema_context(community_a.schema_name):
        request = _submit(1)
    before = _snapshot(community_a.schema_name)
    client = client_as(charlie, HOST_A)
    for method, url, body in _routes(request.pk):
        response = _call(client, method, url, body)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Lefèvre" not in response.content.decode()
    assert _snapshot(community_a.schema_name) == before


@pytest.mark.parametrize("who", ["bob", "tina", "dora_unverified"])
def test_a_member_a_team_member_without_the_permission_and_an_unverified_holder_get_403(
    who, desk, community_a, client_as, bob
):
    with schema_context(community_a.schema_name):
        request = _submit(1)
    before = _snapshot(community_a.schema_name)
    client = {
        "bob": lambda: client_as(bob, HOST_A),
        "tina": lambda: verified_operator_client(desk.tina, HOST_A),
        "dora_unverified": lambda: client_as(desk.dora, HOST_A),
    }[who]()
    for method, url, body in _routes(request.pk):
        response = _call(client, method, url, body)
        assert response.status_code == 403, (who, method, url, response.status_code)
        assert "Lefèvre" not in response.content.decode()
        assert response.json()["detail"]
    assert _snapshot(community_a.schema_name) == before


def test_with_the_module_off_the_api_says_why_in_french(desk, community_a, dora_api):
    with schema_context(community_a.schema_name):
        DeskSettings.objects.filter(pk=1).update(enabled=False)
    response = dora_api.get(BASE)
    assert response.status_code == 403
    assert "n'est pas activé" in response.json()["detail"]
