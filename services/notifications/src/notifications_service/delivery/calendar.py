"""The calendar file (RFC 5545) of a booking, built with `icalendar`.

UID is stable per booking, so a calendar that imported the confirmation updates the same entry when the
event moves (higher SEQUENCE: the event's version at its last change of time or place) and removes it on
METHOD:CANCEL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from icalendar import Calendar, Event, vCalAddress

PRODID = "-//Event Planner//Notifications//EN"


def booking_uid(booking_id: Any) -> str:
    return f"booking-{booking_id}@event-planner"


def booking_calendar(*, booking_id: Any, event: dict[str, Any], sequence: int, cancel: bool = False,
                     organizer_email: str = "no-reply@eventplanner.local", attendee_email: str | None = None,
                     stamp: datetime | None = None) -> bytes:
    """The .ics of one booking: PUBLISH (new or changed) or CANCEL (the event or the booking is off)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "PUBLISH")
    entry = Event()
    entry.add("uid", booking_uid(booking_id))
    entry.add("sequence", int(sequence))
    entry.add("dtstamp", stamp or datetime.now(UTC))
    entry.add("dtstart", event["start_time"])
    entry.add("dtend", event["end_time"])
    entry.add("summary", event["title"])
    if event.get("place"):
        entry.add("location", event["place"])
    entry.add("status", "CANCELLED" if cancel else "CONFIRMED")
    entry["organizer"] = vCalAddress(f"mailto:{parseaddr(organizer_email)[1] or organizer_email}")
    if attendee_email:
        entry.add("attendee", vCalAddress(f"mailto:{attendee_email}"))
    cal.add_component(entry)
    return cal.to_ical()
