"""Every URL of a CPTS host declares who may reach it, and the declaration is what is enforced.

The walk reads the URLconf (``cpts_platform.urls_tenant``, recursively, the API router included):
a view without a declaration (``tenants.access``) fails the test, so does an API view that is not
built on the base views (``apps.members.api_views``, where the declaration is the check) or a
class-based page declaring anything but public (nothing would enforce it). Then each declared
check is asked of the accounts it must refuse: anonymous visitors (sent to the login page, or 401/403
from the API), accounts without a role here (404), candidates on members-only routes (403), and the
role just below the one declared (403), for every method and API action the route serves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django_tenants.utils import schema_context
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from apps.members.api_views import CommunityAccessMixin
from apps.members.models import Role
from apps.members.permissions import HasCommunityRole
from apps.members.services import grant_role
from cpts_platform.api_tenant import router
from tenants.access import AUTHENTICATED_KIND, OPERATOR_KIND, PUBLIC_KIND, ROLE_KIND, Access, declared_access
from tests.conftest import HOST_A, PASSWORD, PLATFORM_HOST
from tests.members.test_standing import make_persona


@dataclass(frozen=True)
class Route:
    name: str
    url: str
    callback: object
    access: Access | None


# A value for each URL argument, by name (sent through the converter of path routes).
SAMPLES = {"direction": "monter", "format": "json", "fmt": "pdf", "kind": "expense", "schema": "beta"}


def _sample(name: str) -> str:
    return SAMPLES.get(name, "999999")


def _fill(prefix: str, pattern) -> str:
    """``prefix`` + ``pattern`` with each argument replaced by a sample value."""
    if isinstance(pattern.pattern, RoutePattern):
        converters = pattern.pattern.converters
        route = re.sub(
            r"<(?:\w+:)?(\w+)>",
            lambda m: converters[m.group(1)].to_url(_sample(m.group(1))),
            str(pattern.pattern),
        )
        return prefix + route
    regex = pattern.pattern.regex
    url = regex.pattern.lstrip("^").rstrip("$")
    for name in regex.groupindex:
        start = url.index(f"(?P<{name}>")
        depth, end = 0, start
        for end in range(start, len(url)):
            depth += {"(": 1, ")": -1}.get(url[end], 0)
            if depth == 0:
                break
        url = url[:start] + _sample(name) + url[end + 1 :]
    return prefix + url.replace("\\.", ".").replace("/?", "/")


def _prefix_of(resolver: URLResolver, prefix: str) -> str:
    if isinstance(resolver.pattern, RoutePattern):
        return prefix + str(resolver.pattern)
    return prefix + resolver.pattern.regex.pattern.lstrip("^")


def walk(patterns, prefix: str = "/", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(
                pattern.url_patterns,
                _prefix_of(pattern, prefix),
                namespace + (f"{pattern.namespace}:" if pattern.namespace else ""),
            )
        elif isinstance(pattern, URLPattern):
            name = namespace + (pattern.name or str(pattern.pattern))
            yield Route(name, _fill(prefix, pattern), pattern.callback, declared_access(pattern.callback))


def tenant_routes() -> list[Route]:
    return list(walk(get_resolver("cpts_platform.urls_tenant").url_patterns))


def platform_routes() -> list[Route]:
    return list(walk(get_resolver("cpts_platform.urls_public").url_patterns))


def _api_class(callback):
    return getattr(callback, "cls", None)


def test_every_url_of_a_cpts_host_declares_its_access():
    undeclared = sorted(route.name for route in tenant_routes() if route.access is None)
    assert undeclared == [], f"routes without an access declaration: {undeclared}"


def test_every_api_view_is_built_on_the_base_views_where_the_declaration_is_the_check():
    loose = sorted(
        route.name
        for route in tenant_routes()
        if _api_class(route.callback) is not None
        and not issubclass(_api_class(route.callback), CommunityAccessMixin)
    )
    assert loose == []
    for prefix, viewset, _basename in router.registry:
        assert issubclass(viewset, CommunityAccessMixin), prefix
        assert isinstance(viewset.access, Access), prefix


def test_class_based_pages_only_declare_public_access():
    """Nothing enforces a declaration on a Django class-based view: only public ones may be."""
    for route in tenant_routes():
        view_class = getattr(route.callback, "view_class", None)
        if view_class is not None and _api_class(route.callback) is None:
            assert route.access.kind == PUBLIC_KIND, route.name


def test_an_undeclared_api_view_is_refused_to_everyone(community_a, client_as, alice):
    class Undeclared(CommunityAccessMixin):
        pass

    request = APIRequestFactory().get("/")
    request.user = alice
    with schema_context("alpha"), pytest.raises(exceptions.PermissionDenied, match="non déclaré"):
        HasCommunityRole().has_permission(request, Undeclared())


# --- The declaration is what is enforced ---------------------------------------------------------

RANK = [Role.MEMBER, Role.TEAM, Role.ADMIN]


def _methods(route: Route) -> list[tuple[str, str | None]]:
    """(HTTP method, API action) pairs the route serves; pages are asked with GET and POST."""
    actions = getattr(route.callback, "actions", None)
    if actions:
        return [(method.upper(), action) for method, action in actions.items()]
    if _api_class(route.callback) is not None:
        cls = _api_class(route.callback)
        return [(m.upper(), None) for m in ("get", "post", "patch", "put", "delete") if hasattr(cls, m)]
    return [("GET", None), ("POST", None)]


def _ask(client: Client, method: str, url: str):
    return getattr(client, method.lower())(
        url, **({"content_type": "application/json"} if method != "GET" else {})
    )


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/compte/connexion/")


@pytest.fixture
def personas(community_a, alice, bob, charlie):
    """Accounts of A by role (bob: member à jour; tina: team; alice: admin), a candidate of A and
    charlie (member of B only)."""
    tina = get_user_model().objects.create_user("tina@test.fr", PASSWORD)
    with schema_context("alpha"):
        grant_role(user=tina, role=Role.TEAM)
    candidate = make_persona("candidate", charlie, alice)
    return {Role.MEMBER: bob, Role.TEAM: tina, Role.ADMIN: alice, "candidate": candidate, "outsider": charlie}


def test_each_declaration_refuses_whom_it_must(personas, client_as):
    anonymous = Client(HTTP_HOST=HOST_A)
    clients = {key: client_as(user, HOST_A) for key, user in personas.items()}
    checked = 0
    for route in tenant_routes():
        access = route.access
        if access.kind == PUBLIC_KIND:
            continue
        assert access.kind in (AUTHENTICATED_KIND, ROLE_KIND, OPERATOR_KIND), route.name
        for method, action in _methods(route):
            where = (route.name, method, action, route.url)
            response = _ask(anonymous, method, route.url)
            if response.status_code == 405:
                continue
            assert _is_login_redirect(response) or response.status_code in (401, 403), (*where, response)
            if access.kind != ROLE_KIND:
                continue
            role = access.role_for(method, action)
            response = _ask(clients["outsider"], method, route.url)
            assert response.status_code == 404, (*where, "outsider", response.status_code)
            if role == Role.MEMBER and not access.candidates:
                response = _ask(clients["candidate"], method, route.url)
                assert response.status_code == 403, (*where, "candidate", response.status_code)
            if role != Role.MEMBER:
                below = RANK[RANK.index(Role(role)) - 1]
                response = _ask(clients[below], method, route.url)
                assert response.status_code == 403, (*where, below, response.status_code)
            checked += 1
    assert checked > 100


def test_every_url_of_the_platform_host_declares_its_access():
    undeclared = sorted(route.name for route in platform_routes() if route.access is None)
    assert undeclared == [], f"routes without an access declaration: {undeclared}"
    kinds = {route.access.kind for route in platform_routes()}
    assert ROLE_KIND not in kinds, "no CPTS role exists on the platform host"


def test_operator_routes_refuse_anonymous_visitors_and_accounts_that_are_not_operators(world, db, client_as):
    anonymous = Client(HTTP_HOST=PLATFORM_HOST)
    not_operator = client_as(world.alice, PLATFORM_HOST)
    checked = 0
    for route in platform_routes():
        if route.access.kind != OPERATOR_KIND:
            continue
        for method, action in _methods(route):
            where = (route.name, method, action, route.url)
            response = _ask(anonymous, method, route.url)
            if response.status_code == 405:
                continue
            assert _is_login_redirect(response) or response.status_code in (401, 403), (*where, response)
            response = _ask(not_operator, method, route.url)
            assert response.status_code == 403, (*where, "not an operator", response.status_code)
            checked += 1
    assert checked >= 5
