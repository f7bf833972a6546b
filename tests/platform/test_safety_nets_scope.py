"""The safety nets (retention of personal and health data, payment reconciliation) keep running for
a CPTS that is suspended or closed: its data still exists, so its delays still apply. Member-facing
work (reminders, renewals, campaigns) stays on the open CPTS only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.access_care import services
from apps.access_care.models import PatientRequest
from tenants.models import Community
from tenants.selectors import active_schemas, schemas_holding_data
from tests.access_care.conftest import Desk, build_desk, submit
from workers.access_care import fan_out_retention_task


@pytest.fixture
def desk(community_a, settings) -> Desk:
    settings.HDS_HOSTING = True
    return build_desk(community_a.schema_name)


@pytest.mark.parametrize("status", [Community.Status.SUSPENDED, Community.Status.CLOSED])
def test_a_closed_request_of_a_suspended_or_closed_cpts_is_still_anonymised_on_time(
    desk, community_a, status
):
    with schema_context(community_a.schema_name):
        old = submit()
        services.change_status(actor=desk.dora, request=old, to_status="closed", close_reason="moved")
        PatientRequest.objects.filter(pk=old.pk).update(closed_at=timezone.now() - timedelta(days=400))
    Community.objects.filter(pk=community_a.pk).update(status=status)

    fan_out_retention_task.apply().get()

    with schema_context(community_a.schema_name):
        old.refresh_from_db()
    assert old.anonymised_at is not None


def test_member_facing_work_skips_what_is_not_open_and_the_safety_nets_do_not(community_a, community_b):
    Community.objects.filter(pk=community_a.pk).update(status=Community.Status.SUSPENDED)
    assert community_a.schema_name not in active_schemas()
    assert community_b.schema_name in active_schemas()
    assert {community_a.schema_name, community_b.schema_name} <= set(schemas_holding_data())
    Community.objects.filter(pk=community_b.pk).update(status=Community.Status.PROVISIONING)
    assert community_b.schema_name not in schemas_holding_data()  # being created: nothing to keep yet
