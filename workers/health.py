"""Worker liveness: each worker process refreshes a Redis key that /healthz reads."""

from __future__ import annotations

import threading
import time

import redis
from celery.signals import worker_ready, worker_shutdown
from django.conf import settings

HEARTBEAT_KEY = "health:worker:{hostname}"
HEARTBEAT_PATTERN = "health:worker:*"
_stop = threading.Event()


def redis_client():
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def _beat(hostname: str) -> None:
    client = redis_client()
    interval = settings.WORKER_HEARTBEAT_SECONDS
    while not _stop.is_set():
        try:
            client.set(HEARTBEAT_KEY.format(hostname=hostname), int(time.time()), ex=interval * 3)
        except Exception:  # noqa: BLE001, S110 - a missed beat is what /healthz reports
            pass
        _stop.wait(interval)


@worker_ready.connect
def start_heartbeat(sender=None, **_kwargs) -> None:
    _stop.clear()
    threading.Thread(target=_beat, args=(sender.hostname,), daemon=True, name="heartbeat").start()


@worker_shutdown.connect
def stop_heartbeat(sender=None, **_kwargs) -> None:
    _stop.set()
    try:
        redis_client().delete(HEARTBEAT_KEY.format(hostname=sender.hostname))
    except Exception:  # noqa: BLE001, S110
        pass
