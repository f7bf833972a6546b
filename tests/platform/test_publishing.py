"""Work is published by name: every name domain code publishes is a registered Celery task."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.members.models import Invitation, hash_token
from tenants.queue import UnknownTask, enqueue_on_commit, registered_task

ROOT = Path(__file__).resolve().parents[2]
PUBLISHERS = {"enqueue", "enqueue_on_commit"}


def _published_names() -> list[tuple[str, str]]:
    """(``file:line``, name) for every call of a publisher in the project's code."""
    found = []
    for package in ("apps", "tenants", "workers", "cpts_platform"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if called not in PUBLISHERS or path.name == "queue.py":
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                first = node.args[0] if node.args else None
                # A computed name could not be checked here: every published name is a literal.
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), where
                found.append((where, first.value))
    return found


def test_every_published_name_is_a_registered_task():
    published = _published_names()
    assert published, "no publisher call found: the walk above is broken"
    missing = []
    for where, name in published:
        try:
            registered_task(name)
        except UnknownTask:
            missing.append(f"{where} {name}")
    assert missing == []


def test_an_unknown_name_fails_at_once_and_queues_nothing(world, db):
    calls_before = len(transaction.get_connection().run_on_commit)
    with pytest.raises(UnknownTask, match="members.send_invitaton"):
        enqueue_on_commit("members.send_invitaton", world.a.schema_name, 1)
    assert len(transaction.get_connection().run_on_commit) == calls_before


def test_work_published_by_name_runs_after_commit_in_eager_mode(
    world, db, mailoutbox, django_capture_on_commit_callbacks
):
    with schema_context(world.a.schema_name):
        invitation = Invitation.objects.create(
            email="publie.par.nom@test.fr",
            role="member",
            invited_by=world.alice,
            token_hash=hash_token("provisoire"),
            expires_at=timezone.now() + timedelta(days=1),
        )
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            enqueue_on_commit("members.send_invitation", world.a.schema_name, invitation.pk)
            # Not before commit: a worker would not find the row yet.
            assert mailoutbox == []
        invitation.refresh_from_db()
    assert len(callbacks) == 1
    assert invitation.sent_at is not None
    assert [m.to for m in mailoutbox] == [["publie.par.nom@test.fr"]]


def test_the_queued_callback_names_its_task(world, db, django_capture_on_commit_callbacks):
    """What waits for the commit says which task it publishes (logs, and tests telling a dropped
    receipt task from another callback), as Celery's ``delay_on_commit`` did."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit("dues.issue_receipt", world.a.schema_name, 1)
    assert len(callbacks) == 1 and "dues.issue_receipt" in repr(callbacks[0])
