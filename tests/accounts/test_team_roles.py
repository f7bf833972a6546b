"""Admins change a person's role or remove them from the CPTS; the last admin stays; the person is
told by e-mail. Nobody else can."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django_tenants.utils import schema_context

from apps.members.models import Membership, RoleChange
from apps.members.services import grant_role
from tests.conftest import HOST_A, HOST_B, PASSWORD, wait_until
from workers.accounts import notify_role_change_task


@pytest.fixture
def dana(community_a, db):
    """A team member of A."""
    user = get_user_model().objects.create_user(
        "dana@test.fr", PASSWORD, first_name="Dana", last_name="Équipe"
    )
    with schema_context(community_a.schema_name):
        grant_role(user=user, role="team")
    return user


def _membership(community, user) -> Membership:
    with schema_context(community.schema_name):
        return Membership.objects.get(user=user)


def test_an_admin_changes_a_role_and_the_person_is_told(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    member = _membership(community_a, bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(alice, HOST_A).post(
            f"/equipe/membres/{member.pk}/role/", {"role": "team"}, follow=True
        )
    assert "Bob Membre a désormais le rôle « équipe »" in response.text
    assert _membership(community_a, bob).role == "team"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["bob@test.fr"] and sent.subject == "Votre rôle dans la CPTS Alpha a changé"
    assert "désormais « équipe » (auparavant « membre »)" in sent.body and "Alice Admin" in sent.body


def test_an_admin_removes_someone_who_loses_access_and_is_told(
    community_a, alice, dana, client_as, django_capture_on_commit_callbacks
):
    member = _membership(community_a, dana)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(alice, HOST_A).post(f"/equipe/membres/{member.pk}/retirer/", follow=True)
    assert "Dana Équipe ne fait plus partie de la CPTS" in response.text
    assert not _membership(community_a, dana).is_active
    assert client_as(dana, HOST_A).get("/equipe/").status_code == 404
    assert mail.outbox[0].to == ["dana@test.fr"]
    assert mail.outbox[0].subject == "Vous ne faites plus partie de la CPTS Alpha"
    with schema_context(community_a.schema_name):
        change = RoleChange.objects.get(user=dana)
    assert (change.previous_role, change.new_role, change.changed_by_id) == ("team", "", alice.pk)


def test_the_last_admin_can_be_neither_removed_nor_demoted(
    community_a, alice, client_as, django_capture_on_commit_callbacks
):
    member = _membership(community_a, alice)
    team = client_as(alice, HOST_A)
    with django_capture_on_commit_callbacks(execute=True):
        demoted = team.post(f"/equipe/membres/{member.pk}/role/", {"role": "member"}, follow=True)
        removed = team.post(f"/equipe/membres/{member.pk}/retirer/", follow=True)
    for response in (demoted, removed):
        assert "Alice Admin est le dernier administrateur de la CPTS" in response.text
    after = _membership(community_a, alice)
    assert (after.role, after.is_active) == ("admin", True)
    assert mail.outbox == []


def test_with_a_second_admin_the_first_may_step_down(community_a, alice, dana, client_as):
    with schema_context(community_a.schema_name):
        Membership.objects.filter(user=dana).update(role="admin")
    member = _membership(community_a, alice)
    client_as(alice, HOST_A).post(f"/equipe/membres/{member.pk}/role/", {"role": "team"})
    assert _membership(community_a, alice).role == "team"


def test_the_team_sees_roles_but_cannot_change_them(community_a, bob, dana, client_as):
    member = _membership(community_a, bob)
    team = client_as(dana, HOST_A)
    page = team.get("/equipe/").text
    assert "Bob Membre" in page and "/retirer/" not in page and "/role/" not in page
    assert team.post(f"/equipe/membres/{member.pk}/role/", {"role": "admin"}).status_code == 403
    assert team.post(f"/equipe/membres/{member.pk}/retirer/").status_code == 403
    assert client_as(bob, HOST_A).post(f"/equipe/membres/{member.pk}/retirer/").status_code == 403
    after = _membership(community_a, bob)
    assert (after.role, after.is_active) == ("member", True)


def test_another_cpts_cannot_reach_these_people(community_a, community_b, alice, bob, charlie, client_as):
    member_a = _membership(community_a, bob)
    member_b = _membership(community_b, charlie)
    # charlie is a member of B only: A's page does not exist for him.
    assert client_as(charlie, HOST_A).post(f"/equipe/membres/{member_a.pk}/retirer/").status_code == 404
    # alice, admin of A, never reaches B's rows: ids are looked up in A's schema only.
    client_as(alice, HOST_A).post(f"/equipe/membres/{member_b.pk}/retirer/")
    assert _membership(community_b, charlie).is_active
    assert client_as(alice, HOST_B).post(f"/equipe/membres/{member_b.pk}/retirer/").status_code == 404


def test_an_unknown_role_is_refused(community_a, alice, bob, client_as):
    member = _membership(community_a, bob)
    response = client_as(alice, HOST_A).post(
        f"/equipe/membres/{member.pk}/role/", {"role": "owner"}, follow=True
    )
    assert "Choisissez un rôle de la liste." in response.text
    assert _membership(community_a, bob).role == "member"


def test_the_notice_runs_twice_and_sends_once(community_a, alice, bob):
    with schema_context(community_a.schema_name):
        change = RoleChange.objects.create(
            user=bob, previous_role="member", new_role="team", changed_by=alice
        )
    first = notify_role_change_task.apply(args=(community_a.schema_name, change.pk)).get()
    second = notify_role_change_task.apply(args=(community_a.schema_name, change.pk)).get()
    assert (first, second) == ("sent", "skipped") and len(mail.outbox) == 1


@pytest.mark.worker
def test_a_real_worker_tells_the_person(real_worker, world, django_db_blocker):
    from apps.members.services import change_role

    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            member = Membership.objects.get(user=world.bob)
            change_role(actor=world.alice, membership=member, role="team")
        try:

            def notified():
                with schema_context(world.a.schema_name):
                    return RoleChange.objects.filter(user=world.bob, notified_at__isnull=False).first()

            wait_until(notified, timeout=30)
        finally:
            with schema_context(world.a.schema_name):
                Membership.objects.filter(pk=member.pk).update(role="member")
                RoleChange.objects.filter(user=world.bob).delete()
            connection.set_schema_to_public()
    mails = real_worker.sent_mails()
    assert len(mails) == 1 and "To: bob@test.fr" in mails[0], real_worker.log()
    assert "members.notify_role_change" in real_worker.log()
