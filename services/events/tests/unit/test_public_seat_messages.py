"""What the booking saga hears on events.v1: public seat answers, keyed by the event asked about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts import parse_payload
from contracts.events import SeatsRejected, SeatsReleased, SeatsReserved

from events_service import public
from events_service.domain import Event, EventDetails, UnknownEventAnswers

pytestmark = pytest.mark.unit

NOW = datetime.now(UTC)


def test_each_seat_answer_becomes_its_public_message_on_the_events_stream():
    event = Event.schedule(EventDetails(title="Gig", start_time=NOW + timedelta(days=1), duration_minutes=60,
                                        max_participants=3), created_by=uuid4(), now=NOW)
    first, second = uuid4(), uuid4()
    event.reserve_seats(first, 2, attempt=3, now=NOW)
    event.reserve_seats(second, 2, now=NOW)
    event.release_seats(first, reason="user", command_id="m1")
    _, reserved, rejected, released = (public.to_envelope(e) for e in event.collect_events())
    assert [m.type for m in (reserved, rejected, released)] == ["SeatsReserved", "SeatsRejected", "SeatsReleased"]
    assert {m.aggregate_id for m in (reserved, rejected, released)} == {str(event.id)}  # key = event id
    assert [m.aggregate_version for m in (reserved, rejected, released)] == [2, 3, 4]
    assert parse_payload(reserved) == SeatsReserved(event_id=event.id, booking_id=first, seats=2, seats_available=1,
                                                    attempt=3)
    assert parse_payload(rejected) == SeatsRejected(event_id=event.id, booking_id=second, seats=2, reason="full",
                                                    seats_available=1, attempt=1)
    assert parse_payload(released) == SeatsReleased(event_id=event.id, booking_id=first, seats=2, seats_available=3)


def test_an_answer_about_an_unknown_event_is_keyed_by_that_event_id_with_version_zero():
    missing, booking = uuid4(), uuid4()
    answers = UnknownEventAnswers(event_id=missing)
    answers.reject_reservation(booking, 1)
    opened, rejected = answers.collect_events()
    assert public.to_envelope(opened) is None  # bookkeeping, not news
    message = public.to_envelope(rejected)
    assert (message.type, message.aggregate_id, message.aggregate_version) == ("SeatsRejected", str(missing), 0)
    assert parse_payload(message) == SeatsRejected(event_id=missing, booking_id=booking, seats=1,
                                                   reason="unknown_event", seats_available=0, attempt=1)
    assert public.address(parse_payload(message), rejected) == str(missing)


def test_a_lease_refusal_about_an_unknown_event_is_keyed_by_that_event_id_too():
    missing, lease = uuid4(), uuid4()
    answers = UnknownEventAnswers(event_id=missing)
    answers.refuse_lease(lease, 4)
    _opened, refused = answers.collect_events()
    message = public.to_envelope(refused)
    assert (message.type, message.aggregate_id, message.aggregate_version) == ("LeaseRefused", str(missing), 0)
    assert public.address(parse_payload(message), refused) == str(missing)
