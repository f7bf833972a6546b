"""Working groups: members from the CPTS only, meetings and attendance, documents per CPTS."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.working_groups import services
from apps.working_groups.models import Attendance, GroupMember, Meeting, WorkingGroup
from tests.conftest import HOST_A


def make_group(alice, bob, **data):
    return services.create_group(
        actor=alice, data={"name": "Parcours diabète", "lead": bob, **data}, member_ids=[alice.pk]
    )


def test_members_come_from_the_cpts_and_the_lead_is_one_of_them(world, db, alice, bob, charlie):
    with schema_context("alpha"):
        group = make_group(alice, bob)
        members = set(GroupMember.objects.filter(group=group).values_list("user_id", flat=True))
        with pytest.raises(ValidationError):
            services.update_group(actor=alice, group=group, data={}, member_ids=[charlie.pk])
        after = set(GroupMember.objects.filter(group=group).values_list("user_id", flat=True))
    assert members == after == {alice.pk, bob.pk}


def test_the_lead_records_attendance_of_group_members_only(world, db, alice, bob, charlie):
    with schema_context("alpha"):
        group = make_group(alice, bob)
        meeting = services.schedule_meeting(
            actor=bob,
            group=group,
            data={"starts_at": timezone.now() - timedelta(days=1), "agenda": "Protocole"},
        )
        assert services.record_attendance(actor=bob, meeting=meeting, present_user_ids=[str(alice.pk)]) == 1
        with pytest.raises(ValidationError):
            services.record_attendance(actor=bob, meeting=meeting, present_user_ids=[charlie.pk])
        rows = dict(Attendance.objects.filter(meeting=meeting).values_list("user_id", "present"))
    assert rows == {alice.pk: True, bob.pk: False}


def test_a_member_who_does_not_lead_cannot_schedule_meetings(world, db, alice, bob):
    with schema_context("alpha"):
        group = services.create_group(actor=alice, data={"name": "Prévention"}, member_ids=[bob.pk])
        with pytest.raises(PermissionDenied):
            services.schedule_meeting(actor=bob, group=group, data={"starts_at": timezone.now()})
        assert not Meeting.objects.filter(group=group).exists()


def test_charlie_gets_404_on_groups_of_a_and_changes_nothing(world, db, alice, bob, charlie, client_as):
    with schema_context("alpha"):
        group = make_group(alice, bob)
        meeting = Meeting.objects.create(group=group, starts_at=timezone.now())
    client = client_as(charlie, HOST_A)
    for url in (
        "/groupes-de-travail/",
        f"/groupes-de-travail/{group.pk}/",
        f"/groupes-de-travail/{group.pk}/reunions/{meeting.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/groupes-de-travail/{group.pk}/rejoindre/").status_code == 404
    with schema_context("alpha"):
        assert not GroupMember.objects.filter(group=group, user=charlie).exists()


def test_bob_sees_groups_but_gets_403_on_team_pages(world, db, alice, bob, client_as):
    with schema_context("alpha"):
        group = services.create_group(actor=alice, data={"name": "Soins non programmés"})
    client = client_as(bob, HOST_A)
    assert "Soins non programmés" in client.get("/groupes-de-travail/").text
    assert client.get("/groupes-de-travail/nouveau/").status_code == 403
    assert client.post(f"/groupes-de-travail/{group.pk}/modifier/", {"name": "X"}).status_code == 403
    assert client.get(f"/groupes-de-travail/{group.pk}/reunions/nouvelle/").status_code == 403
    assert client.post(f"/groupes-de-travail/{group.pk}/rejoindre/").status_code == 302
    with schema_context("alpha"):
        group.refresh_from_db()
        assert group.name == "Soins non programmés"
        assert GroupMember.objects.filter(group=group, user=bob).exists()


def test_documents_are_stored_per_cpts_and_served_to_members(world, db, alice, bob, client_as):
    from django.core.files.storage import default_storage

    with schema_context("alpha"):
        group = make_group(alice, bob)
        document = services.add_document(
            actor=bob,
            group=group,
            title="Protocole",
            file=ContentFile(b"%PDF-1.4 test", name="protocole.pdf"),
        )
        stored = default_storage.path(document.file.name)
    assert "/alpha/groupes/" in stored
    response = client_as(bob, HOST_A).get(f"/groupes-de-travail/{group.pk}/documents/{document.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 test"
    with schema_context("beta"):
        assert not WorkingGroup.objects.filter(pk=group.pk).exists() or not default_storage.exists(
            document.file.name
        )


def test_an_oversized_document_is_refused_in_french(world, db, alice, bob):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.working_groups.forms import MAX_UPLOAD_BYTES, DocumentForm

    with schema_context("alpha"):
        group = make_group(alice, bob)
        big = SimpleUploadedFile("gros.pdf", b"0" * (MAX_UPLOAD_BYTES + 1))
        form = DocumentForm({"title": "Trop gros"}, {"file": big}, group=group)
        assert not form.is_valid()
    assert "dépasse 20 Mo" in form.errors["file"][0]
