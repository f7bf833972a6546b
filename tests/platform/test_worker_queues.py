"""Every way the platform is run (Procfile for ``make run``, infra/compose.yaml, infra/k8s) starts
workers for every queue tasks are routed to, and the priority mail queue has workers of its own:
a 5,000-recipient campaign on ``mail`` never delays a receipt or an invitation."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.platform.test_k8s_manifests import render

ROOT = Path(settings.BASE_DIR)
DEFAULT_QUEUE = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery") or "celery"


def _queues(command: list[str]) -> set[str]:
    """The queues a ``celery worker`` command line consumes (Celery's default queue without -Q)."""
    for flag in ("-Q", "--queues"):
        if flag in command:
            return set(command[command.index(flag) + 1].split(","))
    return {DEFAULT_QUEUE}


def _workers_of_procfile() -> list[set[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    commands = [shlex.split(line.partition(":")[2]) for line in lines if line.strip()]
    return [_queues(c) for c in commands if c[:1] == ["celery"] and "worker" in c]


def _workers_of_compose() -> list[set[str]]:
    services = yaml.safe_load((ROOT / "infra" / "compose.yaml").read_text())["services"]
    commands = [s.get("command") or [] for s in services.values()]
    return [_queues(c) for c in commands if c[:1] == ["celery"] and "worker" in c]


def _workers_of_k8s() -> list[set[str]]:
    docs = render(ROOT / "infra" / "k8s" / "overlays" / "production")
    commands = [
        container.get("command") or []
        for doc in docs
        if doc["kind"] == "Deployment"
        for container in doc["spec"]["template"]["spec"]["containers"]
    ]
    return [_queues(c) for c in commands if c[:1] == ["celery"] and "worker" in c]


@pytest.mark.parametrize(
    "workers",
    [_workers_of_procfile, _workers_of_compose, _workers_of_k8s],
    ids=["procfile", "compose", "k8s"],
)
def test_every_routed_queue_is_consumed_and_priority_mail_has_its_own_workers(workers):
    consumed = workers()
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {DEFAULT_QUEUE}
    assert routed <= set().union(*consumed)
    priority = settings.MAIL_PRIORITY_QUEUE
    assert any(queues == {priority} for queues in consumed)
    assert all(queues == {priority} for queues in consumed if priority in queues), consumed
