"""The dashboard counts « à jour » with the standing's own rule, read for all members at once."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.dashboard.selectors import standing_counts
from apps.members.models import Membership
from apps.members.standing import Standing, standing_of, standings_of
from tests.members.test_standing import GOOD, REFUSED, make_persona


def test_standings_of_many_members_agree_with_each_members_standing_in_two_queries(
    community_a, alice, bob, charlie
):
    users = [make_persona(kind, charlie, alice) for kind in REFUSED + GOOD]
    with schema_context(community_a.schema_name):
        memberships = list(Membership.objects.filter(is_active=True))
        assert len(memberships) == len(users) + 2  # alice (admin) and bob (exempt)
        with CaptureQueriesContext(connection) as queries:
            together = standings_of(memberships)
        assert len(queries) == 1  # the dues of every member who needs them, in one query
        one_by_one = {m.pk: standing_of(Membership.objects.get(pk=m.pk)) for m in memberships}
        assert together == one_by_one
        counts, total = standing_counts()
    assert total == len(memberships)
    assert counts == {
        Standing.GOOD: len(GOOD) + 2,
        Standing.CANDIDATE: 2,  # candidate, candidate_from_b
        Standing.LAPSED: 1,
    }
