"""Seat capacity on the Event aggregate, as the booking saga meets it: reserve, refuse, release, repeat."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from events_service import domain
from events_service.domain import Actor, Event, EventDetails, ReleaseSeats, ReserveSeats, UnknownEventAnswers

pytestmark = pytest.mark.unit

NOW = datetime.now(UTC)
ORGANIZER = Actor(uuid4())


def event_with(capacity: int = 10) -> Event:
    details = EventDetails(title="Workshop", start_time=NOW + timedelta(days=2), duration_minutes=60,
                           max_participants=capacity)
    event = Event.schedule(details, created_by=ORGANIZER.user_id, now=NOW)
    event.collect_events()
    return event


def answers(event) -> list[tuple]:
    """Seat answers recorded since last asked, as (kind, seats, seats_available, attempt or reason)."""
    out = []
    for e in event.collect_events():
        kind = type(e).__name__
        if kind == "SeatsReserved":
            out.append((kind, e.seats, e.seats_available, e.attempt))
        elif kind in ("SeatsRejected", "SeatsReleased"):
            out.append((kind, e.seats, e.seats_available, e.reason))
    return out


def test_reservations_take_seats_until_the_last_one_fits_exactly():
    event = event_with(5)
    first, second = uuid4(), uuid4()
    event.reserve_seats(first, 3, now=NOW)
    event.reserve_seats(second, 2, now=NOW)
    assert answers(event) == [("SeatsReserved", 3, 2, 1), ("SeatsReserved", 2, 0, 1)]
    assert (event.seats_taken, event.seats_available, event.holds(first), event.holds(second)) == (5, 0, 3, 2)


def test_a_group_that_does_not_fit_is_refused_as_full_and_takes_nothing():
    event = event_with(5)
    event.reserve_seats(uuid4(), 4, now=NOW)
    event.collect_events()
    late = uuid4()
    event.reserve_seats(late, 2, now=NOW)
    assert answers(event) == [("SeatsRejected", 2, 1, "full")]
    assert (event.seats_available, event.holds(late)) == (1, 0)
    event.reserve_seats(uuid4(), 1, now=NOW)  # a smaller group still fits
    assert answers(event)[0][:3] == ("SeatsReserved", 1, 0)


def test_a_group_bigger_than_the_whole_event_is_refused_as_full():
    event = event_with(3)
    event.reserve_seats(uuid4(), 4, now=NOW)
    assert answers(event) == [("SeatsRejected", 4, 3, "full")]


def test_a_cancelled_event_refuses_even_with_free_seats():
    event = event_with(10)
    event.cancel(actor=ORGANIZER)
    event.collect_events()
    event.reserve_seats(uuid4(), 1, now=NOW)
    assert answers(event) == [("SeatsRejected", 1, 10, "event_cancelled")]


@pytest.mark.parametrize("after_start", [timedelta(0), timedelta(minutes=30)])
def test_an_event_that_started_is_not_bookable(after_start):
    event = event_with(10)
    event.reserve_seats(uuid4(), 1, now=event.details.start_time + after_start)
    assert answers(event) == [("SeatsRejected", 1, 10, "not_bookable")]
    assert event.seats_available == 10


def test_zero_seats_is_a_programming_error_not_an_answer():
    event = event_with(10)
    with pytest.raises(domain.InvalidSeatCount):
        event.reserve_seats(uuid4(), 0, now=NOW)
    assert event.collect_events() == []


def test_the_same_attempt_again_is_a_duplicate_whatever_the_first_answer_was():
    event = event_with(2)
    held, refused = uuid4(), uuid4()
    event.reserve_seats(held, 2, attempt=1, now=NOW)
    event.reserve_seats(refused, 1, attempt=1, now=NOW)
    assert [a[0] for a in answers(event)] == ["SeatsReserved", "SeatsRejected"]
    event.reserve_seats(held, 2, attempt=1, now=NOW)
    event.reserve_seats(refused, 1, attempt=1, now=NOW)
    assert answers(event) == []
    assert event.seats_available == 0


def test_an_older_attempt_arriving_late_is_ignored():
    event = event_with(5)
    booking = uuid4()
    event.reserve_seats(booking, 1, attempt=2, now=NOW)
    event.release_seats(booking, reason="expired")
    event.collect_events()
    event.reserve_seats(booking, 1, attempt=1, now=NOW)
    assert answers(event) == [] and event.holds(booking) == 0


def test_a_later_attempt_is_answered_again_once_seats_are_free():
    event = event_with(2)
    holder, waiting = uuid4(), uuid4()
    event.reserve_seats(holder, 2, now=NOW)
    event.reserve_seats(waiting, 2, attempt=1, now=NOW)  # full → waitlisted by the saga
    event.release_seats(holder, reason="user")
    event.reserve_seats(waiting, 2, attempt=2, now=NOW)  # promoted from the waitlist
    assert answers(event) == [("SeatsReserved", 2, 0, 1), ("SeatsRejected", 2, 0, "full"),
                              ("SeatsReleased", 2, 2, "user"), ("SeatsReserved", 2, 0, 2)]


def test_a_booking_already_holding_seats_gets_no_second_reservation():
    event = event_with(10)
    booking = uuid4()
    event.reserve_seats(booking, 2, attempt=1, now=NOW)
    event.collect_events()
    event.reserve_seats(booking, 3, attempt=2, now=NOW)
    assert answers(event) == []
    assert (event.holds(booking), event.seats_available) == (2, 8)


def test_release_gives_back_exactly_what_the_booking_held_once():
    event = event_with(10)
    booking = uuid4()
    event.reserve_seats(booking, 3, now=NOW)
    event.collect_events()
    event.release_seats(booking, reason="payment_failed")
    event.release_seats(booking, reason="payment_failed")  # nothing held any more
    event.release_seats(uuid4(), reason="user")  # never held anything
    assert answers(event) == [("SeatsReleased", 3, 10, "payment_failed")]


def test_a_repeated_release_message_does_not_free_the_seats_of_a_later_reservation():
    event = event_with(4)
    booking = uuid4()
    event.reserve_seats(booking, 2, attempt=1, now=NOW)
    event.release_seats(booking, reason="expired", command_id="release-1")
    event.reserve_seats(booking, 2, attempt=2, now=NOW)  # late payment: reserved again
    event.collect_events()
    event.release_seats(booking, reason="expired", command_id="release-1")  # the relay re-published it
    assert answers(event) == [] and event.holds(booking) == 2
    event.release_seats(booking, reason="user", command_id="release-2")
    assert answers(event) == [("SeatsReleased", 2, 4, "user")]


def test_releasing_seats_of_a_cancelled_event_still_works():
    event = event_with(4)
    booking = uuid4()
    event.reserve_seats(booking, 2, now=NOW)
    event.cancel(actor=ORGANIZER)
    event.release_seats(booking, reason="event_cancelled")
    assert event.seats_available == 4


def test_capacity_edits_respect_the_seats_taken():
    event = event_with(10)
    event.reserve_seats(uuid4(), 6, now=NOW)
    with pytest.raises(domain.CapacityBelowSeatsTaken):
        event.update({"max_participants": 5}, actor=ORGANIZER, now=NOW)
    event.update({"max_participants": 6}, actor=ORGANIZER, now=NOW)
    assert event.seats_available == 0
    event.reserve_seats(uuid4(), 1, now=NOW)
    assert answers(event)[-1] == ("SeatsRejected", 1, 0, "full")
    event.update({"max_participants": 8}, actor=ORGANIZER, now=NOW)
    (updated,) = event.collect_events()
    assert updated.seats_available == 2


def test_the_guard_refuses_to_leave_seats_outside_zero_and_capacity():
    event = event_with(3)
    with pytest.raises(domain.SeatsOutOfRange):
        event.check_seats_within_capacity(4)
    with pytest.raises(domain.SeatsOutOfRange):
        event.check_seats_within_capacity(-1)
    event.check_seats_within_capacity(3)


def test_any_sequence_of_commands_keeps_seats_within_capacity_and_replays_identically():
    rng = random.Random(7)
    event = Event.schedule(EventDetails(title="Rush", start_time=NOW + timedelta(days=1), duration_minutes=60,
                                        max_participants=25), created_by=ORGANIZER.user_id, now=NOW)
    bookings: list[UUID] = [uuid4() for _ in range(40)]
    attempts = dict.fromkeys(bookings, 0)
    for step in range(600):
        booking = rng.choice(bookings)
        if rng.random() < 0.65:
            attempts[booking] += rng.choice((0, 1))  # sometimes a duplicate
            event.reserve_seats(booking, rng.randint(1, 4), attempt=max(attempts[booking], 1), now=NOW)
        else:
            event.release_seats(booking, reason="user", command_id=str(step % 50))
        if rng.random() < 0.05:
            try:
                event.update({"max_participants": rng.randint(10, 40)}, actor=ORGANIZER, now=NOW)
            except domain.CapacityBelowSeatsTaken:
                pass
        assert 0 <= event.seats_taken <= event.max_participants
        assert event.seats_taken == sum(event.reservations.values())
    replayed = None
    for stored in event.collect_events():
        replayed = stored.mutate(replayed)
    assert replayed is not None
    assert (replayed.reservations, replayed.last_attempt, replayed.seats_available) == (
        event.reservations, event.last_attempt, event.seats_available)


def test_a_snapshot_keeps_the_seat_ledger_and_an_old_snapshot_is_upcast():
    event = event_with(10)
    event.reserve_seats(uuid4(), 4, now=NOW)
    restored = Event.Snapshot.take(event).mutate(None)
    assert (restored.reservations, restored.seats_available) == (event.reservations, 6)
    old = Event.Snapshot.take(event_with(10))
    for name in ("reservations", "last_attempt", "release_commands"):
        del old.state[name]
    del old.state["class_version"]  # taken before the seat ledger existed
    assert old.mutate(None).reservations == {}


def test_commands_for_an_unknown_event_are_answered_once_per_attempt():
    event_id, booking = uuid4(), uuid4()
    answers_ = UnknownEventAnswers(event_id=event_id)
    assert answers_.id == UnknownEventAnswers.id_for(event_id)  # a redelivery finds the same record
    ReserveSeats(event_id, booking, 2).apply_to(answers_, NOW)
    ReserveSeats(event_id, booking, 2).apply_to(answers_, NOW)
    ReleaseSeats(event_id, booking, "user").apply_to(answers_, NOW)
    ReserveSeats(event_id, booking, 2, attempt=2).apply_to(answers_, NOW)
    rejected = [e for e in answers_.collect_events() if type(e).__name__ == "SeatsRejected"]
    assert [(e.event_id, e.booking_id, e.reason, e.attempt) for e in rejected] == [
        (event_id, booking, "unknown_event", 1), (event_id, booking, "unknown_event", 2)]
