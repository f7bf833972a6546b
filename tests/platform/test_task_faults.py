"""Tasks under database faults: a deadlock is a transient error, the task runs again."""

from __future__ import annotations

import threading
from datetime import timedelta

from celery import shared_task
from django.db import connections, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.dues.models import Tier
from workers.base import LONGEST_COUNTDOWN_SECONDS, TenantTask

ATTEMPTS: dict[str, int] = {}
BARRIER = threading.Barrier(2)


@shared_task(base=TenantTask, name="tests.lock_two_rows", bind=True)
def lock_two_rows_task(self, schema_name: str, first: int, second: int, who: str) -> str:
    """Lock ``first`` then ``second``; on the first attempt both runs meet in between, so the two
    runs (crossed orders) deadlock for sure."""
    ATTEMPTS[who] = ATTEMPTS.get(who, 0) + 1
    with transaction.atomic():
        Tier.objects.select_for_update().filter(pk=first).get()
        if ATTEMPTS[who] == 1:
            BARRIER.wait(timeout=10)
        Tier.objects.select_for_update().filter(pk=second).get()
    return who


def test_a_deadlocked_task_runs_again_and_both_finish(world, django_db_blocker):
    with django_db_blocker.unblock(), schema_context(world.a.schema_name):
        one, two = Tier.objects.order_by("pk").values_list("pk", flat=True)[:2]
    results: list[str] = []
    errors: list[BaseException] = []

    def run(first, second, who):
        try:
            with django_db_blocker.unblock():
                results.append(
                    lock_two_rows_task.apply(args=(world.a.schema_name, first, second, who)).get(
                        disable_sync_subtasks=False
                    )
                )
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(one, two, "left")),
        threading.Thread(target=run, args=(two, one, "right")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == ["left", "right"]
    # PostgreSQL chose one victim; it ran a second time, in the same process.
    assert sorted(ATTEMPTS.values()) == [1, 2]


def test_a_countdown_never_outlives_the_visibility_timeout(settings):
    """Redis hands a delayed task to a second worker if its countdown outlives the visibility
    timeout: no countdown is longer than LONGEST_COUNTDOWN_SECONDS, which stays well below it."""
    from workers.dues import FAN_OUT_SPREAD_SECONDS

    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility == 15 * 60
    assert LONGEST_COUNTDOWN_SECONDS + 5 * 60 <= visibility
    assert settings.NATIONAL_IMPORT_SPREAD_SECONDS <= LONGEST_COUNTDOWN_SECONDS
    assert FAN_OUT_SPREAD_SECONDS <= LONGEST_COUNTDOWN_SECONDS
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST


def test_a_longer_countdown_is_shortened(world, settings):
    """A task queued further ahead than LONGEST_COUNTDOWN_SECONDS is run at that limit instead
    (earlier, once) rather than be handed out twice by Redis."""
    from unittest import mock

    sent = []
    with mock.patch("celery.app.task.Task.apply_async", lambda self, *a, **options: sent.append(options)):
        lock_two_rows_task.apply_async(("alpha", 1, 2, "x"), countdown=3600)
        lock_two_rows_task.apply_async(("alpha", 1, 2, "x"), eta=timezone.now() + timedelta(hours=2))
        lock_two_rows_task.apply_async(("alpha", 1, 2, "x"), countdown=30)
    assert sent[0]["countdown"] == LONGEST_COUNTDOWN_SECONDS
    assert sent[1]["eta"] <= timezone.now() + timedelta(seconds=LONGEST_COUNTDOWN_SECONDS)
    assert sent[2]["countdown"] == 30
