"""The calendar invitation of a working-group meeting (RFC 5545 / iTIP RFC 5546) through the
``icalendar`` package: one UID per meeting, SEQUENCE raised at each change, METHOD:REQUEST while
it stands and METHOD:CANCEL once cancelled, so calendars update or remove the same entry."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as ICalEvent

from apps.richtext import plain_text

from .models import Meeting

# Meetings have a start only; calendars need an end.
MEETING_LENGTH = timedelta(hours=2)


def meeting_uid(meeting: Meeting, schema_name: str) -> str:
    return f"wg-meeting-{meeting.pk}@{schema_name}.cpts"


def meeting_invitation(
    meeting: Meeting, *, community, attendee_email: str, attendee_name: str, url: str
) -> bytes:
    """The VCALENDAR e-mailed to one participant (only them as ATTENDEE: the others' addresses are
    not disclosed)."""
    cancelled = meeting.cancelled_at is not None
    calendar = Calendar()
    calendar.add("prodid", "-//Plateforme CPTS//Groupes de travail//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = ICalEvent()
    event.add("uid", meeting_uid(meeting, community.schema_name))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.starts_at + MEETING_LENGTH)
    event.add("summary", f"{meeting.group.name} – réunion")
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.agenda:
        event.add("description", plain_text(meeting.agenda, limit=2000))
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.rsplit('<', 1)[-1].rstrip('>')}")
    organizer.params["cn"] = vText(community.name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{attendee_email}")
    attendee.params["cn"] = vText(attendee_name or attendee_email)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()
