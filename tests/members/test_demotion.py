"""A demotion changes the role only: the person keeps the standing they had (à jour), their
membership stays active and their dues are left as they were."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from apps.dues.calendar import paris_today
from apps.dues.models import Dues, Tier
from apps.members.models import Membership, Role
from apps.members.services import change_role, grant_role
from apps.members.standing import Standing, standing_of
from tests.conftest import HOST_A, PASSWORD


def _fresh(user) -> Membership:
    return Membership.objects.get(user=user)


def test_a_team_member_without_dues_stays_a_jour_once_demoted(world, db, alice, client_as):
    dana = get_user_model().objects.create_user("dana@test.fr", PASSWORD, first_name="Dana")
    with schema_context("alpha"):
        team = grant_role(user=dana, role=Role.TEAM)  # on the team: never needed dues
        assert standing_of(_fresh(dana)) == Standing.GOOD
        change_role(actor=alice, membership=team, role=Role.MEMBER)
        demoted = _fresh(dana)
        standing = standing_of(demoted)
        dues = Dues.objects.filter(membership=demoted).count()
    assert (demoted.role, demoted.is_active) == (Role.MEMBER, True)
    assert standing == Standing.GOOD  # not « adhésion en attente de paiement »
    assert dues == 0  # no dues created, none asked
    assert client_as(dana, HOST_A).get("/groupes-de-travail/").status_code == 200


def test_a_paying_member_promoted_then_demoted_keeps_paying_their_dues(world, db, alice):
    erin = get_user_model().objects.create_user("erin@test.fr", PASSWORD)
    with schema_context("alpha"):
        member = grant_role(user=erin, role=Role.MEMBER)
        tier = Tier.objects.get(name="Adhésion classique")
        Dues.objects.create(
            membership=member, year=paris_today().year, tier=tier, amount=tier.price, status="active"
        )
        change_role(actor=alice, membership=member, role=Role.TEAM)
        change_role(actor=alice, membership=_fresh(erin), role=Role.MEMBER)
        demoted = _fresh(erin)
        standing = standing_of(demoted)
        dues = list(Dues.objects.filter(membership=demoted).values_list("status", flat=True))
    # À jour by their dues: nothing else changes, they renew like every paying member.
    assert (demoted.role, demoted.dues_exempt, standing) == (Role.MEMBER, False, Standing.GOOD)
    assert dues == ["active"]
