"""Priority follows the person while they wait: 70 and over counts from the day they turn 70, and
every full month waited adds the CPTS's « attente » weight. A daily fan-out recomputes the open
requests; it runs twice and acts once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.access_care import services
from apps.access_care.models import AccessLog, PatientRequest
from tenants.queue import enqueue
from tests.access_care.conftest import build_desk, submit
from tests.access_care.test_desk_flow import _clean
from tests.conftest import wait_until
from workers.access_care import recompute_priorities_task


def _turns_70_in(days: int) -> date:
    today = timezone.localdate()
    return today + timedelta(days=days) - relativedelta(years=70)


def test_waiting_months_and_turning_70_raise_the_priority_on_the_daily_recompute(desk, community_a):
    with schema_context(community_a.schema_name):
        turning = submit(birth_date=_turns_70_in(30), criteria=("ald",))
        closed = submit(last_name="Close", birth_date=_turns_70_in(30), criteria=("ald",))
        PatientRequest.objects.filter(pk=closed.pk).update(status=PatientRequest.Status.CLOSED)
        assert turning.priority == 100  # ALD; 69 years old today
        later = timezone.localdate() + relativedelta(months=2)

        first = services.recompute_priorities(today=later)
        second = services.recompute_priorities(today=later)

        # ALD 100 + 70 and over 100 + two full months waited × 10 (default « attente » weight).
        assert PatientRequest.objects.get(pk=turning.pk).priority == 220
        assert PatientRequest.objects.get(pk=closed.pk).priority == 100  # ended: left alone
        assert (first, second) == (1, 0)
        assert AccessLog.objects.filter(action="recompute").count() == 1


def test_the_waiting_weight_is_the_cpts_own(desk, community_a):
    with schema_context(community_a.schema_name):
        request = submit(birth_date=date(1990, 1, 1), criteria=("pregnancy",))
        weights = {**services.get_desk_settings().weights, "wait_month": 25}
        services.update_settings(
            actor=desk.dora, weights=weights, retention_months=6, letter_subject="Objet", letter_body="Corps"
        )
        services.recompute_priorities(today=timezone.localdate() + relativedelta(months=3, days=2))
        assert PatientRequest.objects.get(pk=request.pk).priority == 50 + 3 * 25


def test_the_recompute_is_a_daily_beat_fan_out_published_by_name():
    entries = [
        e
        for e in django_settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "access_care.fan_out_priorities"
    ]
    assert len(entries) == 1
    assert recompute_priorities_task.name == "access_care.recompute_priorities"


def test_the_recompute_task_runs_twice_and_acts_once(desk, community_a):
    with schema_context(community_a.schema_name):
        request = submit()
        PatientRequest.objects.filter(pk=request.pk).update(
            priority=0, created_at=timezone.now() - timedelta(days=95)
        )
    first = recompute_priorities_task.apply(args=(community_a.schema_name,)).get()
    second = recompute_priorities_task.apply(args=(community_a.schema_name,)).get()
    assert (first, second) == (1, 0)
    with schema_context(community_a.schema_name):
        # ALD 100 + 70 and over 100 (born 1948) + three months waited × 10.
        assert PatientRequest.objects.get(pk=request.pk).priority == 230


@pytest.mark.worker
def test_a_real_worker_recomputes_the_priorities_published_twice_by_name(
    real_worker, world, django_db_blocker, settings
):
    settings.HDS_HOSTING = True
    schema = world.a.schema_name
    with django_db_blocker.unblock():
        with schema_context(schema):
            build_desk(schema)
            try:
                request = submit()
                PatientRequest.objects.filter(pk=request.pk).update(
                    priority=0, created_at=timezone.now() - timedelta(days=95)
                )
                enqueue("access_care.recompute_priorities", schema)
                enqueue("access_care.recompute_priorities", schema)

                def ran_twice():
                    return (
                        real_worker.log().count("access_care.recompute_priorities") >= 4
                    )  # received + succeeded, x2

                assert wait_until(ran_twice, timeout=30), real_worker.log()
                with schema_context(schema):
                    assert PatientRequest.objects.get(pk=request.pk).priority == 230
                    assert AccessLog.objects.filter(action="recompute").count() == 1
            finally:
                _clean(schema)
        connection.set_schema_to_public()
