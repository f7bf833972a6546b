"""Session set-up shared by every test.

Two CPTS are created once per session by cloning the template schema, with the personas of
CONVENTIONS.md: alice (admin of A), bob (member of A), charlie (member of B). They are committed,
so a real Celery worker process can see them too; each test's own writes are rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.middleware import SESSION_COMMUNITY_KEY

PASSWORD = "correct-horse-battery-staple"
HOST_A = "alpha.localhost"
HOST_B = "beta.localhost"
PLATFORM_HOST = "localhost"


@dataclass(frozen=True)
class World:
    a: object
    b: object
    alice: object
    bob: object
    charlie: object
    operator: object


def _build_world() -> World:
    from apps.members.services import grant_role
    from tenants.platform_setup import ensure_platform_site, migrate_template_schema
    from tenants.provisioning import CommunityRequest, provision_community

    ensure_platform_site()
    migrate_template_schema()
    users = get_user_model().objects
    operator = users.create_user("operator@test.fr", PASSWORD, is_operator=True)
    alice = users.create_user("alice@test.fr", PASSWORD, first_name="Alice", last_name="Admin")
    bob = users.create_user("bob@test.fr", PASSWORD, first_name="Bob", last_name="Membre")
    charlie = users.create_user("charlie@test.fr", PASSWORD, first_name="Charlie", last_name="Autre")
    a = provision_community(
        actor=operator, request=CommunityRequest(slug="alpha", name="CPTS Alpha", admin_email="alice@test.fr")
    )
    b = provision_community(
        actor=operator, request=CommunityRequest(slug="beta", name="CPTS Bêta", admin_email="charlie@test.fr")
    )
    with schema_context(a.schema_name):
        grant_role(user=alice, role="admin")
        grant_role(user=bob, role="member")
    with schema_context(b.schema_name):
        grant_role(user=charlie, role="member")
    return World(a=a, b=b, alice=alice, bob=bob, charlie=charlie, operator=operator)


@pytest.fixture(scope="session")
def world(django_db_setup, django_db_blocker) -> World:
    with django_db_blocker.unblock():
        return _build_world()


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def community_a(world, db):
    return world.a


@pytest.fixture
def community_b(world, db):
    return world.b


@pytest.fixture
def alice(world, db):
    return world.alice


@pytest.fixture
def bob(world, db):
    return world.bob


@pytest.fixture
def charlie(world, db):
    return world.charlie


@pytest.fixture
def operator(world, db):
    return world.operator


def signed_in_client(user, host: str) -> Client:
    """A test client on ``host`` with ``user`` logged in there (session bound to that host's CPTS)."""
    from django_tenants.utils import get_tenant_domain_model

    client = Client(HTTP_HOST=host)
    client.force_login(user)
    schema = get_tenant_domain_model().objects.select_related("tenant").get(domain=host).tenant.schema_name
    session = client.session
    session[SESSION_COMMUNITY_KEY] = schema
    session.save()
    return client


@pytest.fixture
def client_as():
    """client_as(user, host) → a client logged in as ``user`` on ``host``."""
    return signed_in_client
