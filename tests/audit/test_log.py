"""The audit log: one line per audited write, in the schema of the CPTS (or the platform) it
happened in, never changed afterwards — the database itself refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.audit.log import UnknownAction, purge_before, record
from apps.audit.models import AuditEvent
from apps.members.models import Membership, Role
from apps.members.services import change_role
from apps.territory import services as territory
from tenants import provisioning
from tenants.actors import SYSTEM

# The session's CPTS were opened (and their first admins invited) before any test: those lines stay.
_MARK: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _mark_existing_lines(world, db):
    for schema in ("alpha", "beta", "public"):
        with schema_context(schema):
            _MARK[schema] = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _lines(schema: str) -> list[tuple]:
    """This test's lines in ``schema``."""
    with schema_context(schema):
        return list(
            AuditEvent.objects.filter(pk__gt=_MARK[schema])
            .order_by("pk")
            .values_list("action", "actor_id", "by_platform", "details")
        )


def test_a_line_lands_in_the_log_of_the_schema_the_connection_is_on(community_a, community_b, alice):
    with schema_context(community_a.schema_name):
        record(alice, "territory.aci_size_set", None, size=2)
    assert _lines(community_a.schema_name) == [("territory.aci_size_set", alice.pk, False, {"size": 2})]
    assert _lines(community_b.schema_name) == []
    assert _lines("public") == []


def test_an_unknown_action_is_refused_and_writes_nothing(community_a, alice):
    with schema_context(community_a.schema_name):
        with pytest.raises(UnknownAction):
            record(alice, "territory.aci_size_sett", None)
    assert _lines(community_a.schema_name) == []


@pytest.mark.parametrize("schema", ["alpha", "public"])
def test_the_database_refuses_to_change_or_delete_a_line(community_a, alice, schema):
    with schema_context(schema):
        line = record(alice, "audit.exported", None)
        for change in (
            lambda: AuditEvent.objects.filter(pk=line.pk).update(action="members.invited"),
            lambda: AuditEvent.objects.filter(pk=line.pk).delete(),
            lambda: connection.cursor().execute("TRUNCATE audit_auditevent"),
        ):
            with pytest.raises(DatabaseError, match="append-only"):
                with transaction.atomic():
                    change()
        assert AuditEvent.objects.get(pk=line.pk).action == "audit.exported"


def test_the_retention_purge_deletes_old_lines_only(community_a, alice):
    with schema_context(community_a.schema_name):
        old = record(alice, "audit.exported", None)
        recent = record(alice, "audit.exported", None)
        # Backdating needs the purge's own door too: nothing else may touch a line.
        with transaction.atomic():
            connection.cursor().execute("SELECT set_config('cpts.audit_purge', 'on', true)")
            AuditEvent.objects.filter(pk=old.pk).delete()
            AuditEvent.objects.bulk_create([AuditEvent(pk=old.pk, action="audit.exported",
                                                       at=timezone.now() - timedelta(days=400))])  # fmt: skip
        assert purge_before(timezone.now() - timedelta(days=365)) == 1
        assert purge_before(timezone.now() - timedelta(days=365)) == 0
        assert list(AuditEvent.objects.filter(pk__gt=_MARK["alpha"]).values_list("pk", flat=True)) == [
            recent.pk
        ]
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic():
                AuditEvent.objects.filter(pk=recent.pk).delete()


def test_role_changes_and_team_writes_are_recorded_with_their_actor(community_a, alice, bob):
    with schema_context(community_a.schema_name):
        change_role(actor=alice, membership=Membership.objects.get(user=bob), role=Role.TEAM)
        territory.set_aci_size(actor=alice, size=3)
        territory.set_aci_size(actor=SYSTEM, size=None)
        lines = list(AuditEvent.objects.filter(pk__gt=_MARK["alpha"]).order_by("pk").values_list("action", "actor_id", "by_platform",
                                                                   "target_type", "target_id", "details"))  # fmt: skip
    assert lines == [
        (
            "members.role_changed",
            alice.pk,
            False,
            "accounts.user",
            str(bob.pk),
            {"before": "member", "after": "team"},
        ),
        ("territory.aci_size_set", alice.pk, False, "", "", {"size": 3}),
        ("territory.aci_size_set", None, True, "", "", {"size": None}),
    ]


def test_a_refused_write_leaves_no_line(community_a, bob):
    with schema_context(community_a.schema_name):
        with pytest.raises(PermissionDenied):
            territory.set_aci_size(actor=bob, size=3)
    assert _lines(community_a.schema_name) == []


def test_operator_actions_land_in_the_platform_log(community_b, operator):
    provisioning.add_custom_domain(actor=operator, community=community_b, domain="www.cpts-du-lac.fr")
    domain = community_b.domains.get(domain="cpts-du-lac.fr")
    provisioning.remove_custom_domain(actor=operator, community=community_b, domain_id=domain.pk)
    assert [(a, actor, details) for a, actor, _p, details in _lines("public")] == [
        ("platform.domain_added", operator.pk, {"domain": "cpts-du-lac.fr"}),
        ("platform.domain_removed", operator.pk, {"domain": "cpts-du-lac.fr"}),
    ]
    assert _lines(community_b.schema_name) == []
