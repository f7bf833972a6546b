"""A professional's SNP periods as an iCalendar feed (RFC 5545): weekly slots as one event with a
weekly RRULE (until their end date), one-off slots as one event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from .models import Slot


def slot_uid(slot: Slot, schema_name: str) -> str:
    return f"snp-{slot.pk}@{schema_name}.cpts"


def build_feed(slots: Iterable[Slot], *, community) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Plateforme CPTS//Soins non programmes//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Mes créneaux SNP – {community.name}")
    calendar.add("x-wr-timezone", "Europe/Paris")
    stamp = timezone.now()
    zone = timezone.get_current_timezone()
    for slot in slots:
        first_day = slot.date or _first_weekday_on_or_after(slot.valid_from, slot.weekday)
        item = Event()
        item.add("uid", slot_uid(slot, community.schema_name))
        item.add("dtstamp", stamp)
        item.add("dtstart", datetime.combine(first_day, slot.starts_at, tzinfo=zone))
        item.add("dtend", datetime.combine(first_day, slot.ends_at, tzinfo=zone))
        item.add("summary", f"{slot.get_kind_display()} – {slot.place_name}")
        item.add("location", f"{slot.address}, {slot.commune.name}")
        item.add(
            "description",
            f"Rendez-vous : {slot.phone}" + (f"\n{slot.instructions}" if slot.instructions else ""),
        )
        if slot.recurring:
            rule = {"freq": "weekly"}
            if slot.valid_until:
                rule["until"] = datetime.combine(slot.valid_until, time.max, tzinfo=zone)
            item.add("rrule", rule)
        calendar.add_component(item)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _first_weekday_on_or_after(day, weekday: int):
    return day + timedelta(days=(weekday - day.weekday()) % 7)
