from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import Community
from tests.conftest import HOST_A, HOST_B


def test_cache_keys_carry_the_schema(community_a, community_b):
    with schema_context(community_a.schema_name):
        cache.set("compteur", "valeur de A")
    with schema_context(community_b.schema_name):
        assert cache.get("compteur") is None
    with schema_context(community_a.schema_name):
        assert cache.get("compteur") == "valeur de A"
        cache.delete("compteur")


def test_media_files_live_under_the_schema(community_a, community_b):
    with schema_context(community_a.schema_name):
        name = default_storage.save("logos/logo.txt", ContentFile(b"A"))
        path_a = default_storage.path(name)
    with schema_context(community_b.schema_name):
        assert not default_storage.exists(name)
    try:
        assert f"/{community_a.schema_name}/logos/" in path_a
    finally:
        with schema_context(community_a.schema_name):
            default_storage.delete(name)


def test_a_suspended_cpts_answers_503(community_b):
    Community.objects.filter(pk=community_b.pk).update(status=Community.Status.SUSPENDED)
    response = Client(HTTP_HOST=HOST_B).get("/")
    assert response.status_code == 503
    assert "temporairement indisponible" in response.text


def test_a_cpts_being_provisioned_does_not_exist_for_visitors(community_b):
    Community.objects.filter(pk=community_b.pk).update(status=Community.Status.PROVISIONING)
    assert Client(HTTP_HOST=HOST_B).get("/").status_code == 404
    assert Client(HTTP_HOST=HOST_A).get("/").status_code == 200


def test_healthz_reports_503_when_no_worker_beats(community_a):
    from workers.health import HEARTBEAT_PATTERN, redis_client

    client = redis_client()
    for key in client.scan_iter(HEARTBEAT_PATTERN):
        client.delete(key)
    response = Client(HTTP_HOST=HOST_A).get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}
    assert body["checks"]["worker"] == {"ok": False, "count": 0}
