"""Bad input on team pages gets an answer, never a 500: a week outside the calendar, a payment id
that is not a number."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.members.models import Membership
from tests.conftest import HOST_A


@pytest.mark.parametrize("week", ["0001-W01", "9999-W52", "2026-W99", "abc"])
def test_a_week_outside_the_calendar_shows_this_week(alice, client_as, week):
    client = client_as(alice, HOST_A)
    client.raise_request_exception = False
    assert client.get("/equipe/snp/", {"semaine": week}).status_code == 200


def test_a_payment_id_that_is_not_a_number_is_a_404(alice, bob, client_as):
    with schema_context("alpha"):
        membership = Membership.objects.get(user=bob)
    client = client_as(alice, HOST_A)
    client.raise_request_exception = False
    response = client.post(f"/equipe/adherents/{membership.pk}/", {"action": "refund", "payment": "abc"})
    assert response.status_code == 404
