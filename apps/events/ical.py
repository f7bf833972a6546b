"""iCalendar rendering of events (RFC 5545) through the ``icalendar`` package."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as ICalEvent

from .models import Event


def event_uid(event: Event, schema_name: str) -> str:
    return f"event-{event.pk}@{schema_name}.cpts"


def build_calendar(events: Iterable[Event], *, community, base_url: str) -> bytes:
    """A VCALENDAR holding ``events``; ``base_url`` is the CPTS's site root (ends with /)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Plateforme CPTS//Evenements//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Événements – {community.name}")
    calendar.add("x-wr-timezone", "Europe/Paris")
    stamp = timezone.now()
    for event in events:
        item = ICalEvent()
        item.add("uid", event_uid(event, community.schema_name))
        item.add("dtstamp", stamp)
        item.add("dtstart", event.starts_at)
        item.add("dtend", event.ends_at)
        item.add("summary", event.title)
        item.add("last-modified", event.updated_at)
        if event.description:
            item.add("description", event.description)
        if event.location:
            item.add("location", event.location)
        item.add("url", f"{base_url}evenements/{event.pk}/")
        item.add("status", "CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED")
        item.add("class", "PUBLIC" if event.is_public else "PRIVATE")
        calendar.add_component(item)
    return calendar.to_ical()
