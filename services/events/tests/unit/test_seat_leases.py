"""Seat leases on the Event aggregate (issue 8): grant, refuse, repeat, return — and capacity never oversold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events_service import domain, public
from events_service.domain import Actor, Event, EventDetails, RequestSeatLease, ReserveSeats, UnknownEventAnswers

pytestmark = pytest.mark.unit

NOW = datetime.now(UTC)
ORGANIZER = Actor(uuid4())


def event_with(capacity: int = 10, **details) -> Event:
    event = Event.schedule(EventDetails(title="Workshop", start_time=NOW + timedelta(days=2), duration_minutes=60,
                                        max_participants=capacity, **details), created_by=ORGANIZER.user_id, now=NOW)
    event.collect_events()
    return event


def published(event) -> list:
    return [p for e in event.collect_events() if (p := public.to_public(e)) is not None]


def test_a_lease_gets_what_is_free_at_most_and_the_event_gives_those_seats_no_more():
    event = event_with(10)
    event.reserve_seats(uuid4(), 3, now=NOW)
    first, second = uuid4(), uuid4()

    event.lease_seats(first, 5, now=NOW)
    event.lease_seats(second, 5, now=NOW)

    assert [(type(p).__name__, p.seats, p.seats_leased, p.seats_unallocated) for p in published(event)[1:]] == [
        ("SeatsLeased", 5, 5, 2), ("SeatsLeased", 2, 7, 0)]
    event.reserve_seats(booking := uuid4(), 1, now=NOW)
    assert [(p.reason, p.seats_available) for p in published(event)] == [("full", 0)]
    assert event.holds(booking) == 0


def test_nothing_free_refuses_the_lease_and_the_same_lease_id_asked_again_repeats_the_answer_only():
    event = event_with(2)
    granted, refused = uuid4(), uuid4()
    event.lease_seats(granted, 2, now=NOW)
    event.lease_seats(refused, 4, now=NOW)
    published(event)

    event.lease_seats(granted, 2, now=NOW, repeat=True)
    event.lease_seats(refused, 4, now=NOW, repeat=True)

    again = published(event)
    assert [(type(p).__name__, p.lease_id) for p in again] == [("SeatsLeased", granted), ("LeaseRefused", refused)]
    assert again[1].reason == "full"
    assert event.seats_leased == 2


@pytest.mark.parametrize(("change", "reason"), [("cancel", "event_cancelled"), ("paid", "paid_event"),
                                                ("started", "not_bookable")])
def test_leases_are_refused_on_cancelled_paid_or_started_events(change, reason):
    paid = {"is_paid": True, "price": "10.00", "currency": "EUR", "allowed_payment_methods": ["card"]}
    event = event_with(10, **(paid if change == "paid" else {}))
    now = NOW
    if change == "cancel":
        event.cancel(actor=ORGANIZER, now=NOW)
    if change == "started":
        now = NOW + timedelta(days=3)
    event.collect_events()

    event.lease_seats(uuid4(), 3, now=now)

    assert [(type(p).__name__, p.reason) for p in published(event)] == [("LeaseRefused", reason)]
    assert event.seats_leased == 0


def test_returned_seats_are_the_events_again_once_per_return_id():
    event = event_with(4)
    event.lease_seats(uuid4(), 4, now=NOW)
    back = uuid4()

    event.return_leased_seats(back, 3, reason="idle")
    event.return_leased_seats(back, 3, reason="idle")

    assert [(p.seats, p.seats_leased, p.seats_unallocated) for p in published(event)[1:]] == [(3, 1, 3)]
    with pytest.raises(domain.SeatsOutOfRange):
        event.return_leased_seats(uuid4(), 2, reason="idle")


def test_capacity_cannot_shrink_below_reserved_plus_leased_and_a_free_event_with_a_lease_stays_free():
    event = event_with(10)
    event.reserve_seats(uuid4(), 2, now=NOW)
    event.lease_seats(uuid4(), 5, now=NOW)

    with pytest.raises(domain.CapacityBelowSeatsTaken, match="5 out on lease"):
        event.update({"max_participants": 6}, actor=ORGANIZER, now=NOW)
    event.update({"max_participants": 7}, actor=ORGANIZER, now=NOW)
    with pytest.raises(domain.PaidSwitchWithBookings):
        event.update({"is_paid": True, "price": "5.00", "currency": "EUR",
                      "allowed_payment_methods": ["card"]}, actor=ORGANIZER, now=NOW)


def test_a_lease_on_an_event_that_does_not_exist_is_answered_unknown_event():
    event_id = uuid4()
    answers = UnknownEventAnswers(event_id=event_id)
    RequestSeatLease(event_id=event_id, lease_id=(lease := uuid4()), seats=3).apply_to(answers, NOW)

    [answer] = [p for e in answers.collect_events() if (p := public.to_public(e)) is not None]
    assert (answer.event_id, answer.lease_id, answer.reason) == (event_id, lease, "unknown_event")


# --- property: whatever the order of leases, returns, reservations, releases and capacity changes ------------

operations = st.lists(st.one_of(
    st.tuples(st.just("lease"), st.integers(0, 7), st.integers(1, 12)),
    st.tuples(st.just("return"), st.integers(0, 7), st.integers(1, 12)),
    st.tuples(st.just("reserve"), st.integers(0, 7), st.integers(1, 5)),
    st.tuples(st.just("release"), st.integers(0, 7), st.integers(1, 5)),
    st.tuples(st.just("capacity"), st.integers(0, 7), st.integers(1, 30)),
), max_size=60)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(1, 20), ops=operations)
def test_reserved_plus_leased_never_exceeds_capacity_nor_goes_below_zero(capacity, ops):
    event = event_with(capacity)
    ids = [uuid4() for _ in range(8)]
    for op, i, n in ops:
        try:
            if op == "lease":
                event.lease_seats(ids[i], n, now=NOW)
            elif op == "return":
                event.return_leased_seats(uuid4(), n, reason="idle")
            elif op == "reserve":
                ReserveSeats(event_id=event.id, booking_id=ids[i], seats=n).apply_to(event, NOW)
            elif op == "release":
                event.release_seats(ids[i], reason="cancelled")
            else:
                event.update({"max_participants": n}, actor=ORGANIZER, now=NOW)
        except (domain.SeatsOutOfRange, domain.CapacityBelowSeatsTaken):
            pass  # refused, and nothing changed
        assert 0 <= event.seats_taken and 0 <= event.seats_leased
        assert event.seats_taken + event.seats_leased <= event.max_participants
        granted = sum(answer[0] for answer in event.lease_answers.values())
        assert event.seats_leased <= granted


def test_a_duplicate_lease_request_changes_nothing_and_publishes_nothing():
    """A re-published RequestSeatLease (ops republish, a relay resending) is not the sweeper asking again."""
    event = event_with(5)
    lease = uuid4()
    event.lease_seats(lease, 3, now=NOW)
    published(event)
    version = event.version

    event.lease_seats(lease, 3, now=NOW)

    assert published(event) == [] and event.version == version and event.seats_leased == 3
