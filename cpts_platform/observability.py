"""Observability: Prometheus metrics, logs that say which CPTS, request and task, optional Sentry.

- HTTP and database series come from django-prometheus (its middleware pair in ``MIDDLEWARE`` and
  its PostgreSQL wrapper as django-tenants' ``ORIGINAL_BACKEND``).
- Celery series come from the task signals connected here (``connect_celery_signals``, called by
  ``cpts_platform.celery``): duration per task name and final state, failures per task name and
  exception, retries. Queue lengths are read from the broker at scrape time.
- Several processes (gunicorn workers, Celery's prefork children, the test process) each count
  their own: with ``PROMETHEUS_MULTIPROC_DIR`` set (the dev runtime sets it, the Kubernetes
  manifests give each pod an emptyDir), they write to files there and ``/metrics`` adds them up.
- ``GET /metrics`` on the platform host is not public: it answers only with
  ``Authorization: Bearer <METRICS_TOKEN>``, and is a 404 otherwise (or when no token is set).
- A Celery worker started with ``WORKER_METRICS_PORT`` serves the same on that port, for a
  Prometheus that scrapes worker pods directly.

Request ids and the log context: ``cpts_platform.logcontext``; Sentry: ``cpts_platform.sentry``.
See docs/observability.md.
"""

from __future__ import annotations

import hmac
import logging

import redis
from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from cpts_platform.task_metrics import process_registry
from tenants.access import public

logger = logging.getLogger(__name__)


def queue_names() -> list[str]:
    """The broker queues to measure: the default one and every queue named in the routes."""
    names = {getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery") or "celery"}
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    if isinstance(routes, dict):
        for route in routes.values():
            if isinstance(route, dict) and route.get("queue"):
                names.add(route["queue"])
    for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ():
        names.add(getattr(queue, "name", None) or str(queue))
    return sorted(names)


class QueueLengthCollector:
    """``cpts_celery_queue_length{queue}``: messages waiting in each Redis queue, read at scrape
    time (kombu keeps one list per queue, plus one per priority step: ``name\\x06\\x16N``)."""

    def collect(self):
        family = GaugeMetricFamily(
            "cpts_celery_queue_length", "Messages en attente dans chaque file Celery.", labels=["queue"]
        )
        up = GaugeMetricFamily("cpts_celery_broker_up", "1 si le broker Redis répond.")
        try:
            client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
            for name in queue_names():
                waiting = client.llen(name)
                for key in client.scan_iter(match=f"{name}\x06\x16*", count=100):
                    waiting += client.llen(key)
                family.add_metric([name], waiting)
            up.add_metric([], 1)
        except redis.RedisError:
            up.add_metric([], 0)
        yield family
        yield up


def metrics_registry() -> CollectorRegistry:
    """Every process's series (see ``process_registry``) plus the broker's queue lengths."""
    registry = process_registry()
    registry.register(QueueLengthCollector())
    return registry


@public  # no session: Prometheus authenticates with the bearer token checked below
@never_cache
def metrics(request):
    token = getattr(settings, "METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Http404
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
