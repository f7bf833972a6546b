"""Working-group meetings e-mail their participants a calendar invitation (.ics); a change sends
the update (same UID, SEQUENCE raised, METHOD:REQUEST) and a cancellation METHOD:CANCEL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tenants.utils import schema_context
from icalendar import Calendar

from apps.notifications.models import Notification
from apps.notifications.service import set_preference
from apps.working_groups import mails, services
from apps.working_groups.models import GroupMember, Meeting, MeetingInvitation
from tests.conftest import HOST_A
from workers.working_groups import send_meeting_invitations_task


def _invitations(outbox, email):
    """(METHOD, UID, SEQUENCE, STATUS, content type) of each .ics e-mailed to ``email``."""
    found = []
    for message in outbox:
        if message.to != [email]:
            continue
        for name, content, mimetype in message.attachments:
            if name.endswith(".ics"):
                calendar = Calendar.from_ical(content)
                event = calendar.walk("VEVENT")[0]
                found.append(
                    (
                        str(calendar["METHOD"]),
                        str(event["UID"]),
                        int(event["SEQUENCE"]),
                        str(event["STATUS"]),
                        mimetype,
                    )
                )
    return found


@pytest.fixture
def group(world, db, alice, bob):
    with schema_context("alpha"):
        return services.create_group(
            actor=alice, data={"name": "Parcours diabète", "lead": bob}, member_ids=[alice.pk, bob.pk]
        )


def test_participants_get_the_invitation_then_its_update_then_its_cancellation(
    group, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    starts = timezone.now() + timedelta(days=10)
    with schema_context("alpha"):
        with django_capture_on_commit_callbacks(execute=True):
            meeting = services.schedule_meeting(
                actor=bob,
                group=group,
                data={"starts_at": starts, "location": "Maison de santé", "agenda": "Protocole"},
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.update_meeting(actor=bob, meeting=meeting, data={"minutes": "Notes"})  # not in calendars
        with django_capture_on_commit_callbacks(execute=True):
            services.update_meeting(
                actor=bob, meeting=meeting, data={"starts_at": starts + timedelta(hours=2)}
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.cancel_meeting(actor=bob, meeting=meeting)
    uid = f"wg-meeting-{meeting.pk}@alpha.cpts"
    assert _invitations(mailoutbox, "alice@test.fr") == [
        ("REQUEST", uid, 0, "CONFIRMED", "text/calendar; method=REQUEST; charset=utf-8"),
        ("REQUEST", uid, 1, "CONFIRMED", "text/calendar; method=REQUEST; charset=utf-8"),
        ("CANCEL", uid, 2, "CANCELLED", "text/calendar; method=CANCEL; charset=utf-8"),
    ]
    assert [m.subject.split(" :")[0] for m in mailoutbox if m.to == ["bob@test.fr"]] == [
        "Invitation",
        "Réunion modifiée",
        "Réunion annulée",
    ]
    first = next(m for m in mailoutbox if m.to == ["alice@test.fr"])
    assert "Parcours diabète" in first.subject and "Maison de santé" in first.body
    assert "http://alpha.localhost/groupes-de-travail/" in first.body


def test_the_task_run_twice_sends_each_version_once(group, alice, bob, mailoutbox):
    with schema_context("alpha"):
        meeting = Meeting.objects.create(
            group=group, starts_at=timezone.now() + timedelta(days=3), created_by=bob
        )
    assert send_meeting_invitations_task("alpha", meeting.pk) == 2
    assert send_meeting_invitations_task("alpha", meeting.pk) == 0
    assert len(mailoutbox) == 2
    with schema_context("alpha"):
        assert MeetingInvitation.objects.filter(meeting=meeting, sequence=0).count() == 2


def test_a_past_meeting_sends_no_invitation(group, bob, mailoutbox, django_capture_on_commit_callbacks):
    with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
        services.schedule_meeting(
            actor=bob, group=group, data={"starts_at": timezone.now() - timedelta(days=1)}
        )
    assert mailoutbox == []


def test_the_ics_names_only_its_recipient_and_the_cpts_as_organizer(group, alice, bob):
    with schema_context("alpha"):
        meeting = Meeting.objects.create(group=group, starts_at=timezone.now() + timedelta(days=3))
        mails.send_meeting_invitations(meeting.pk)
    message = next(m for m in django_mail.outbox if m.to == ["alice@test.fr"])
    event = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")[0]
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:alice@test.fr"]
    assert event["ORGANIZER"].params["CN"] == "CPTS Alpha"


def test_only_the_team_or_the_lead_cancels_and_nothing_changes_otherwise(group, world, client_as):
    with schema_context("alpha"):
        GroupMember.objects.filter(group=group, user=world.bob).delete()
        group.lead = None
        group.save()
        meeting = Meeting.objects.create(group=group, starts_at=timezone.now() + timedelta(days=3))
        with pytest.raises(PermissionDenied):
            services.cancel_meeting(actor=world.bob, meeting=meeting)
    url = f"/groupes-de-travail/{group.pk}/reunions/{meeting.pk}/annuler/"
    assert client_as(world.bob, HOST_A).post(url).status_code == 403
    assert client_as(world.charlie, HOST_A).post(url).status_code == 404
    with schema_context("alpha"):
        assert Meeting.objects.get(pk=meeting.pk).cancelled_at is None
    assert client_as(world.alice, HOST_A).post(url).status_code == 302
    with schema_context("alpha"):
        assert Meeting.objects.get(pk=meeting.pk).cancelled_at is not None


def test_invitations_go_through_the_notification_service_and_obey_each_member_s_choice(
    group, alice, bob, mailoutbox
):
    with schema_context("alpha"):
        set_preference(actor=alice, kind=mails.MEETING_KIND, channel="never")
        meeting = Meeting.objects.create(
            group=group, starts_at=timezone.now() + timedelta(days=3), created_by=bob
        )
    assert send_meeting_invitations_task("alpha", meeting.pk) == 1
    (message,) = mailoutbox
    assert message.to == [bob.email]
    # Optional: one-click unsubscribe for this CPTS and this kind, and the member space lists it.
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with schema_context("alpha"):
        (listed,) = Notification.objects.filter(user=bob, kind=mails.MEETING_KIND)
        assert listed.url.endswith(f"/reunions/{meeting.pk}/") or str(meeting.pk) in listed.url
        assert not Notification.objects.filter(user=alice).exists()
