"""A NUL character in a query parameter is a 400 naming the parameter, never a 500: checked on
every list operation of the CPTS API and of the platform API, with every query parameter its
OpenAPI description declares, and on pages."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import HOST_A, PLATFORM_HOST


def _list_operations(urlconf: str, schema_name: str = "public") -> dict[str, list[str]]:
    """path → names of its query parameters, for every GET operation without a path parameter."""
    with schema_context(schema_name):
        schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    operations = {}
    for path, methods in schema["paths"].items():
        if "{" in path or "get" not in methods:
            continue
        operations[path] = [p["name"] for p in methods["get"].get("parameters", []) if p["in"] == "query"]
    return operations


def _assert_every_parameter_is_refused(client, operations: dict[str, list[str]]) -> int:
    checked = 0
    for path, parameters in operations.items():
        for name in [*parameters, "inconnu"]:
            response = client.get(f"{path}?{name}=%00")
            assert response.status_code == 400, (path, name, response.status_code)
            assert response.json() == {
                "detail": f"Le paramètre « {name} » contient un caractère nul, qui n'est pas accepté.",
                "parameter": name,
            }, (path, name)
            # Sane values of the same parameters still answer normally.
            assert client.get(f"{path}?{name}=1").status_code < 500, (path, name)
            checked += 1
    return checked


def test_every_filter_of_the_cpts_api_refuses_a_nul_character_with_a_400(alice, client_as, community_a):
    operations = _list_operations("cpts_platform.urls_tenant", community_a.schema_name)
    # The walk sees the filters it is meant to cover.
    assert {"family", "profession", "commune", "q"} <= set(operations["/api/v1/directory/"])
    assert "status" in operations["/api/v1/events/"]
    checked = _assert_every_parameter_is_refused(client_as(alice, HOST_A), operations)
    assert checked >= 20


def test_the_directory_filters_named_in_the_report_answer_400_to_anyone(community_a):
    client = Client(HTTP_HOST=HOST_A)
    for name in ("family", "profession", "commune", "q", "accepts_new_patients", "page"):
        response = client.get(f"/api/v1/directory/?{name}=%00")
        assert response.status_code == 400 and response.json()["parameter"] == name


def test_every_filter_of_the_platform_api_refuses_a_nul_character(operator_client):
    operations = _list_operations("cpts_platform.urls_public")
    assert "/api/v1/communities/" in operations
    _assert_every_parameter_is_refused(operator_client, operations)


def test_a_page_answers_the_french_400_page(community_a):
    response = Client(HTTP_HOST=HOST_A).get("/annuaire/?commune=%00")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Demande incorrecte" in page
    assert "Le paramètre « commune » contient un caractère nul" in page
    response = Client(HTTP_HOST=PLATFORM_HOST).get("/?a%00=1")
    assert response.status_code == 400


def test_a_malformed_page_number_is_a_400_on_every_paginated_list(alice, client_as, community_a):
    operations = _list_operations("cpts_platform.urls_tenant", community_a.schema_name)
    # The team's member list paginates by hand (its schema does not declare `page`).
    # The desk's list needs the desk opened to the account (permission, second factor): its page
    # numbers are checked in tests/access_care/test_api.py.
    paginated = [
        path for path, parameters in operations.items() if "page" in parameters and "access-care" not in path
    ] + ["/api/v1/members/"]
    assert "/api/v1/directory/" in paginated and "/api/v1/events/" in paginated
    client = client_as(alice, HOST_A)
    for path in paginated:
        for value in ("abc", "0", "-1", "1.5", "²"):
            response = client.get(path, {"page": value})
            assert response.status_code == 400, (path, value, response.status_code)
            assert response.json() == {"page": ["Le numéro de page doit être un entier positif (1, 2, 3…)."]}
        assert client.get(path, {"page": "1"}).status_code == 200, path
        # Past the end is a missing page, as before.
        assert client.get(path, {"page": "99999"}).status_code == 404, path
