"""Observability: /metrics is not public, shows HTTP, task and queue series after a real worker ran;
logs carry the CPTS, the request id and the task id."""

from __future__ import annotations

import json
import logging
import logging.config
import socket
import urllib.request

import redis
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django_tenants.utils import schema_context

from cpts_platform.celery import app
from cpts_platform.logcontext import ContextFilter, RequestIdMiddleware
from tests.conftest import HOST_A, PLATFORM_HOST, start_worker, stop_worker, wait_until

TOKEN = "metrics-test-token"


def _scrape(token: str | None = TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    with override_settings(METRICS_TOKEN=TOKEN):
        return Client(HTTP_HOST=PLATFORM_HOST).get("/metrics", **headers)


def test_the_metrics_are_not_public(world, db):
    assert _scrape(None).status_code == 404
    assert _scrape("wrong").status_code == 404
    assert Client(HTTP_HOST=HOST_A).get("/metrics").status_code == 404  # not on a CPTS host
    with override_settings(METRICS_TOKEN=""):  # no token configured: nobody gets in
        response = Client(HTTP_HOST=PLATFORM_HOST).get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


def test_the_metrics_show_requests_database_and_queue_lengths(world, db):
    Client(HTTP_HOST=HOST_A).get("/")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("metrics-probe")
    client.lpush("metrics-probe", "a", "b", "c")
    try:
        with override_settings(CELERY_TASK_ROUTES={"probe.task": {"queue": "metrics-probe"}}):
            response = _scrape()
    finally:
        client.delete("metrics-probe")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_db_execute_total" in text
    assert 'cpts_celery_queue_length{queue="metrics-probe"} 3.0' in text
    assert "cpts_celery_broker_up 1.0" in text


def _value(text: str, series: str) -> float:
    """The value of one series in a scrape (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_real_worker_counts_its_tasks_per_name_and_serves_them(world, django_db_blocker, tmp_path):
    """The worker's task series reach both /metrics (one directory for every process of the host)
    and the worker's own port (what Kubernetes scrapes)."""
    success = 'cpts_celery_task_duration_seconds_count{state="SUCCESS",task="directory.recover_imports"}'
    failure = 'cpts_celery_task_failures_total{exception="PublicSchemaRefused",task="site.notify_message"}'
    with django_db_blocker.unblock():
        before = _scrape().content.decode()
    port = _free_port()
    worker = start_worker(
        tmp_path,
        hostname="metrics@%h",
        queues="metrics-probe",
        env={"WORKER_METRICS_PORT": str(port), "WORKER_METRICS_ADDRESS": "127.0.0.1"},
    )
    previous_eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        app.send_task("directory.recover_imports", args=[world.a.schema_name], queue="metrics-probe")
        app.send_task("site.notify_message", args=["public", 1], queue="metrics-probe")

        def served() -> str:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as page:  # noqa: S310
                    text = page.read().decode()
            except OSError:
                return ""
            done = _value(text, success) > _value(before, success)
            return text if done and _value(text, failure) > _value(before, failure) else ""

        text = wait_until(served, timeout=60)
    finally:
        app.conf.task_always_eager = previous_eager
        stop_worker(worker)
    assert 'cpts_celery_task_duration_seconds_count{state="SUCCESS",task="directory.recover_imports"}' in text
    assert (
        'cpts_celery_task_failures_total{exception="PublicSchemaRefused",task="site.notify_message"} 1.0'
        in text
    )
    with django_db_blocker.unblock():
        scraped = _scrape().content.decode()
    assert (
        'cpts_celery_task_duration_seconds_count{state="SUCCESS",task="directory.recover_imports"}' in scraped
    )


def test_a_request_gets_an_id_returned_and_carried_by_its_logs(world, db):
    response = Client(HTTP_HOST=HOST_A).get("/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    forged = Client(HTTP_HOST=HOST_A).get("/", HTTP_X_REQUEST_ID="bad id\nINFO forged line")
    assert forged["X-Request-ID"] != "bad id\nINFO forged line" and len(forged["X-Request-ID"]) == 32

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        logging.config.DictConfigurator({}).configure_formatter(settings.LOGGING["formatters"]["json"])
    )
    logger = logging.getLogger("tests.observability")
    logger.addHandler(handler)
    try:

        def view(request):
            logger.warning("dans la requête")
            return HttpResponse("ok")

        with schema_context(world.a.schema_name):
            RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="req-42"))
    finally:
        logger.removeHandler(handler)
    record = json.loads(lines[0])
    assert record["message"] == "dans la requête" and record["level"] == "WARNING"
    assert record["cpts"] == world.a.schema_name and record["request_id"] == "req-42"
    assert record["task_id"] == ""
