"""The bookings sweeper asks again (same attempt, `repeat`) when no answer came: the Event says its answer
again and changes nothing, so an answer lost on the way is recovered without a second reservation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.events import SeatsRejected, SeatsReserved

from events_service import public
from events_service.domain import Actor, Event, EventDetails, ReserveSeats, UnknownEventAnswers

pytestmark = pytest.mark.unit

NOW = datetime.now(UTC)


def event_with(capacity: int) -> Event:
    details = EventDetails(title="Workshop", start_time=NOW + timedelta(days=2), duration_minutes=60,
                           max_participants=capacity)
    event = Event.schedule(details, created_by=Actor(uuid4()).user_id, now=NOW)
    event.collect_events()
    return event


def published(aggregate) -> list:
    return [m for m in (public.to_public(e) for e in aggregate.collect_events()) if m is not None]


def test_a_repeated_request_gets_the_same_answer_again_and_takes_nothing_more():
    event = event_with(2)
    held, refused = uuid4(), uuid4()
    event.reserve_seats(held, 2, attempt=1, now=NOW)
    event.reserve_seats(refused, 1, attempt=1, now=NOW)
    first = published(event)
    event.reserve_seats(held, 2, attempt=1, now=NOW, repeat=True)
    event.reserve_seats(refused, 1, attempt=1, now=NOW, repeat=True)
    again = published(event)
    assert [type(m) for m in again] == [SeatsReserved, SeatsRejected]
    assert [(m.booking_id, m.attempt) for m in again] == [(m.booking_id, m.attempt) for m in first]
    assert again[1].reason == "full"
    assert event.seats_available == 0 and event.holds(held) == 2


def test_a_repeat_of_an_attempt_never_answered_is_a_first_request_and_an_old_one_is_ignored():
    event = event_with(3)
    booking = uuid4()
    event.reserve_seats(booking, 1, attempt=1, now=NOW, repeat=True)
    assert [type(m) for m in published(event)] == [SeatsReserved]
    event.release_seats(booking, reason="user")
    event.reserve_seats(booking, 1, attempt=2, now=NOW)
    published(event)
    event.reserve_seats(booking, 1, attempt=1, now=NOW, repeat=True)  # older than the last answered
    assert published(event) == []
    assert event.seats_available == 2


def test_an_unknown_event_repeats_its_refusal_when_asked_again():
    answers = UnknownEventAnswers(event_id=uuid4())
    booking = uuid4()
    ReserveSeats(answers.event_id, booking, 1).apply_to(answers, NOW)
    ReserveSeats(answers.event_id, booking, 1).apply_to(answers, NOW)
    ReserveSeats(answers.event_id, booking, 1, repeat=True).apply_to(answers, NOW)
    assert [(m.reason, m.attempt) for m in published(answers)] == [("unknown_event", 1), ("unknown_event", 1)]
