import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.members.models import Invitation, Membership
from tests.conftest import HOST_A, HOST_B, PASSWORD


def invite_from_team_space(client, email, role, capture):
    with capture(execute=True):
        response = client.post("/equipe/", {"email": email, "role": role})
    assert response.status_code == 302
    return response


def link_in(mail) -> str:
    return re.search(r"http://\S+/invitation/\S+/", mail.body).group(0)


def test_invitation_flow_end_to_end_for_a_new_person(
    alice, community_a, client_as, mailoutbox, django_capture_on_commit_callbacks
):
    invite_from_team_space(
        client_as(alice, HOST_A), "nina@test.fr", "team", django_capture_on_commit_callbacks
    )
    assert [m.to for m in mailoutbox] == [["nina@test.fr"]]
    url = link_in(mailoutbox[0])
    assert url.startswith("http://alpha.localhost/invitation/")
    path = url.split(HOST_A, 1)[1]

    visitor = Client(HTTP_HOST=HOST_A)
    page = visitor.get(path)
    assert page.status_code == 200 and "Créez votre compte" in page.text
    response = visitor.post(
        path,
        {
            "first_name": "Nina",
            "last_name": "Durand",
            "password1": "pivoine-et-lilas-42",
            "password2": "pivoine-et-lilas-42",
        },
    )
    assert response.status_code == 302
    nina = get_user_model().objects.get(email="nina@test.fr")
    with schema_context(community_a.schema_name):
        assert Membership.objects.get(user=nina).role == "team"
        assert Invitation.objects.get(email="nina@test.fr").accepted_by == nina
    assert visitor.get("/equipe/").status_code == 200
    # The link works once.
    assert Client(HTTP_HOST=HOST_A).get(path).status_code == 404


def test_an_existing_account_accepts_with_its_password_and_keeps_one_account(
    charlie, community_a, alice, client_as, mailoutbox, django_capture_on_commit_callbacks
):
    invite_from_team_space(
        client_as(alice, HOST_A), "charlie@test.fr", "member", django_capture_on_commit_callbacks
    )
    path = link_in(mailoutbox[0]).split(HOST_A, 1)[1]
    visitor = Client(HTTP_HOST=HOST_A)
    assert "déjà un compte" in visitor.get(path).text
    assert "Mot de passe incorrect." in visitor.post(path, {"password": "faux"}).text
    assert visitor.post(path, {"password": PASSWORD}).status_code == 302
    assert get_user_model().objects.filter(email="charlie@test.fr").count() == 1
    assert visitor.get("/mon-espace/").status_code == 200
    assert client_as(charlie, HOST_B).get("/mon-espace/").status_code == 200


def test_new_account_form_errors_are_in_french(
    alice, client_as, mailoutbox, django_capture_on_commit_callbacks
):
    invite_from_team_space(
        client_as(alice, HOST_A), "leo@test.fr", "member", django_capture_on_commit_callbacks
    )
    path = link_in(mailoutbox[0]).split(HOST_A, 1)[1]
    response = Client(HTTP_HOST=HOST_A).post(
        path, {"first_name": "Léo", "last_name": "B", "password1": "abc", "password2": "abd"}
    )
    assert "Les deux mots de passe ne correspondent pas." in response.text
    assert not get_user_model().objects.filter(email="leo@test.fr").exists()


def test_an_expired_invitation_is_refused(
    alice, community_a, client_as, mailoutbox, django_capture_on_commit_callbacks
):
    invite_from_team_space(
        client_as(alice, HOST_A), "tard@test.fr", "member", django_capture_on_commit_callbacks
    )
    path = link_in(mailoutbox[0]).split(HOST_A, 1)[1]
    with schema_context(community_a.schema_name):
        Invitation.objects.filter(email="tard@test.fr").update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    response = Client(HTTP_HOST=HOST_A).get(path)
    assert response.status_code == 404 and "Invitation non valable" in response.text


def test_an_invitation_of_a_cannot_be_used_on_b(
    alice, client_as, mailoutbox, django_capture_on_commit_callbacks
):
    invite_from_team_space(
        client_as(alice, HOST_A), "egare@test.fr", "admin", django_capture_on_commit_callbacks
    )
    path = link_in(mailoutbox[0]).split(HOST_A, 1)[1]
    assert Client(HTTP_HOST=HOST_B).get(path).status_code == 404


def test_the_invitation_task_runs_twice_and_sends_once(alice, community_a, mailoutbox):
    from workers.accounts import send_invitation_task

    with schema_context(community_a.schema_name):
        invitation = Invitation.objects.create(
            email="deux@test.fr",
            role="member",
            token_hash="x" * 64,
            expires_at=timezone.now() + timedelta(days=1),
        )
    assert send_invitation_task.apply(args=(community_a.schema_name, invitation.pk)).get() == "sent"
    assert send_invitation_task.apply(args=(community_a.schema_name, invitation.pk)).get() == "skipped"
    assert len(mailoutbox) == 1
