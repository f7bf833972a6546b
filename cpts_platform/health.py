"""Health endpoints on every host.

- ``/healthz``: database, Redis and worker heartbeat; 200 when all are up, else 503. For
  monitoring and alerting: it says what is wrong.
- ``/readyz``: this web process can serve pages (its database answers). The orchestrator's
  readiness and start-up probes use it: a stopped worker or Redis must not take the web pods out of
  service — pages still render, and background work waits in its queue.
- ``/livez``: the process answers at all (no dependency). The liveness probe: restarting a web pod
  cures a hung process, never a database outage.
"""

from __future__ import annotations

import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from tenants.access import public
from workers.health import HEARTBEAT_PATTERN, redis_client


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True}
    except Exception as error:  # noqa: BLE001 - any failure is a failed check
        return {"ok": False, "error": error.__class__.__name__}


def check_redis_and_workers() -> tuple[dict, dict]:
    try:
        client = redis_client()
        client.ping()
        beats = [int(client.get(key) or 0) for key in client.scan_iter(HEARTBEAT_PATTERN, count=100)]
    except Exception as error:  # noqa: BLE001
        failed = {"ok": False, "error": error.__class__.__name__}
        return failed, {"ok": False, "error": "redis indisponible"}
    workers = {"ok": bool(beats), "count": len(beats)}
    if beats:
        workers["last_beat_seconds_ago"] = round(time.time() - max(beats), 1)
    return {"ok": True}, workers


@public
@never_cache
def healthz(request):
    database = check_database()
    redis, workers = check_redis_and_workers()
    checks = {"database": database, "redis": redis, "worker": workers}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503
    )


@public
@never_cache
def readyz(request):
    database = check_database()
    return JsonResponse(
        {"status": "ok" if database["ok"] else "degraded", "checks": {"database": database}},
        status=200 if database["ok"] else 503,
    )


@public
@never_cache
def livez(request):
    return JsonResponse({"status": "ok"})
