"""Reviews need an event that has started and people who really attended it; this makes one through the gateway.

The API refuses a start in the past and the events service refuses seats once an event has started, so an
honest attendee of a started event takes a short wait: publish an event starting `lead` seconds from now, book
and confirm the attendees, and wait until it has started. While waiting, each attendee is probed with a real
review: 403 (`NotAnAttendee`) means the events service has not yet learnt the confirmed booking from
bookings.v1, 409 (`EventNotStartedYet`) means it knows them and nothing was stored (attendance is checked
before the start), so after the start every attendee's first review is accepted at once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from e2e_support import Person, Platform, eventually, is_problem

REVIEW = {"rating": 4, "comment": "Probe"}


def reviews_url(event_id: str) -> str:
    return f"/api/v1/events/{event_id}/reviews"


def held_event(platform: Platform, organizer: Person, attendees: list[Person], *, lead: float | None = None,
               title: str = "Held event") -> dict:
    """A free event that has started, each of `attendees` holding a confirmed booking the events service knows."""
    lead = lead if lead is not None else 15 + 3 * len(attendees)
    start = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0) + timedelta(seconds=1)
    r = platform.http.post("/api/v1/events/", headers=organizer.auth, json={
        "title": f"{title} {uuid4().hex[:8]}", "description": "Starts in a moment.", "start_time": start.isoformat(),
        "duration_minutes": 60, "max_participants": len(attendees) + 5, "is_paid": False, "tags": ["e2e"]})
    assert r.status_code == 201, r.text
    event = r.json()
    platform.wait_bookable(event["id"], attendees[0])
    bookings = [platform.booked(person, event["id"]) for person in attendees]
    for person, booking in zip(attendees, bookings, strict=True):
        platform.wait_status(person, booking["id"], "confirmed", timeout=lead)
    for person in attendees:
        wait_known_as_attendee(platform, person, event["id"], start)
    assert datetime.now(UTC) < start, f"the event started before its attendees were ready: raise lead ({lead} s)"
    time.sleep((start - datetime.now(UTC)).total_seconds() + 0.5)  # the start itself: no message says it
    return event


def wait_known_as_attendee(platform: Platform, person: Person, event_id: str, start: datetime) -> None:
    """Until a review by `person` is refused only because the event has not started (see the module docstring)."""
    def probe() -> bool | None:
        assert datetime.now(UTC) < start - timedelta(seconds=2), "started before the attendance view caught up"
        r = platform.http.post(reviews_url(event_id), json=REVIEW, headers=person.auth)
        if is_problem(r, 403) and r.json()["type"] == "/docs/problems#not-an-attendee":
            return None
        assert is_problem(r, 409) and r.json()["type"] == "/docs/problems#event-not-started-yet", r.text
        return True

    eventually(probe, timeout=(start - datetime.now(UTC)).total_seconds(),
               what=f"events service knows {person.email} attends")


def submit(platform: Platform, person: Person, event_id: str, rating: int, comment: str) -> dict:
    r = platform.http.post(reviews_url(event_id), json={"rating": rating, "comment": comment}, headers=person.auth)
    assert r.status_code == 201, r.text
    return r.json()
