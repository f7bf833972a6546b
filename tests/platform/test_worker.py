"""The invitation task runs in a real Celery worker process, in the right CPTS schema."""

import pytest
from django.db import connection
from django.test import Client as TestClient
from django_tenants.utils import schema_context

from apps.members.models import Invitation
from tests.conftest import wait_until
from workers.accounts import send_invitation_task
from workers.base import PublicSchemaRefused
from workers.health import HEARTBEAT_PATTERN, redis_client


@pytest.mark.worker
def test_a_real_worker_sends_the_invitation_in_the_right_schema(real_worker, world, django_db_blocker):
    from apps.members.services import invite

    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            invitation = invite(actor=world.alice, email="nouvelle.ide@test.fr", role="team")
        try:

            def sent():
                with schema_context(world.a.schema_name):
                    return Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=False).first()

            done = wait_until(sent, timeout=30)
            # The row exists in A only; B's table has no such invitation.
            with schema_context(world.b.schema_name):
                assert not Invitation.objects.filter(email="nouvelle.ide@test.fr").exists()
        finally:
            with schema_context(world.a.schema_name):
                Invitation.objects.filter(pk=invitation.pk).delete()
            connection.set_schema_to_public()

    assert done.sent_at is not None
    mails = real_worker.sent_mails()
    assert len(mails) == 1, real_worker.log()
    assert "To: nouvelle.ide@test.fr" in mails[0]
    assert "CPTS Alpha" in mails[0]
    assert "http://alpha.localhost/invitation/" in mails[0]
    assert "members.send_invitation" in real_worker.log()


@pytest.mark.worker
def test_healthz_is_200_when_database_redis_and_a_worker_are_up(real_worker, world, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = wait_until(
            lambda: (r := Client(HTTP_HOST="alpha.localhost").get("/healthz")).status_code == 200 and r,
            timeout=20,
        )
        platform = Client(HTTP_HOST="localhost").get("/healthz")
    assert response.json()["checks"]["worker"]["ok"] is True
    assert platform.status_code == 200


def test_a_tenant_task_refuses_the_public_schema(world, db):
    with pytest.raises(PublicSchemaRefused):
        send_invitation_task.apply(args=("public", 1)).get()


def test_a_tenant_task_refuses_an_unknown_schema(world, db):
    with pytest.raises(PublicSchemaRefused):
        send_invitation_task.apply(args=("nexiste-pas", 1)).get()


def test_without_any_worker_healthz_says_degraded_but_the_probes_keep_the_site_in_service(world, db):
    client = redis_client()
    for key in client.scan_iter(HEARTBEAT_PATTERN):
        client.delete(key)
    for host in ("localhost", "alpha.localhost"):
        health = TestClient(HTTP_HOST=host).get("/healthz")
        assert health.status_code == 503 and health.json()["checks"]["worker"]["ok"] is False
        ready = TestClient(HTTP_HOST=host).get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["database"]["ok"] is True
        assert TestClient(HTTP_HOST=host).get("/livez").status_code == 200
