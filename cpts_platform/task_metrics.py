"""Celery task series, counted in every process that runs tasks (connected by cpts_platform.celery).

Imports only Celery and prometheus_client: cpts_platform.celery is imported with the settings,
before Django's apps are ready. The scrape side (``/metrics``, queue lengths) is
``cpts_platform.observability``.
"""

from __future__ import annotations

import logging
import os
import time

from celery import signals
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess, start_http_server

logger = logging.getLogger(__name__)

TASK_DURATION = Histogram(
    "cpts_celery_task_duration_seconds",
    "Durée d'exécution des tâches Celery, par nom de tâche et état final.",
    ["task", "state"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
TASK_FAILURES = Counter(
    "cpts_celery_task_failures_total",
    "Tâches Celery terminées en erreur, par nom de tâche et exception.",
    ["task", "exception"],
)
TASK_RETRIES = Counter(
    "cpts_celery_task_retries_total", "Tâches Celery renvoyées pour un nouvel essai.", ["task"]
)

_started: dict[str, float] = {}


def process_registry() -> CollectorRegistry:
    """This process's series, or every process's when they share ``PROMETHEUS_MULTIPROC_DIR``."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    return registry


class _Forward:
    """Exposes another registry's series (the process's default one) inside a fresh registry."""

    def __init__(self, source: CollectorRegistry):
        self.source = source

    def collect(self):
        yield from self.source.collect()


def _on_prerun(task_id=None, **_kwargs):
    _started[task_id] = time.monotonic()


def _on_postrun(task_id=None, task=None, state=None, **_kwargs):
    began = _started.pop(task_id, None)
    if began is not None and task is not None:
        TASK_DURATION.labels(task=task.name, state=state or "UNKNOWN").observe(time.monotonic() - began)


def _on_failure(sender=None, exception=None, **_kwargs):
    name = getattr(sender, "name", None) or "unknown"
    TASK_FAILURES.labels(task=name, exception=type(exception).__name__).inc()


def _on_retry(sender=None, **_kwargs):
    TASK_RETRIES.labels(task=getattr(sender, "name", None) or "unknown").inc()


def _on_worker_ready(**_kwargs):
    port = os.environ.get("WORKER_METRICS_PORT", "")
    if port:
        # Prefork children write to PROMETHEUS_MULTIPROC_DIR; this server (in the main process)
        # adds them up, as /metrics does. Queue lengths are the web's /metrics' job.
        address = os.environ.get("WORKER_METRICS_ADDRESS", "0.0.0.0")  # noqa: S104 - pod network
        start_http_server(int(port), addr=address, registry=process_registry())
        logger.info("métriques du worker servies sur le port %s", port)


def connect_celery_signals() -> None:
    """Count every task of this process (idempotent: Celery's signals dedupe by dispatch_uid)."""
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="cpts_metrics_prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="cpts_metrics_postrun")
    signals.task_failure.connect(_on_failure, weak=False, dispatch_uid="cpts_metrics_failure")
    signals.task_retry.connect(_on_retry, weak=False, dispatch_uid="cpts_metrics_retry")
    signals.worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="cpts_metrics_worker")
