"""Strict first come, first served: the line is in acceptance order, and under strict_fifo a later request
never keeps seats while one accepted before it waits (given message → expected commands)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.events import ReleaseSeats, SeatsRejected, SeatsReleased, SeatsReserved

from bookings_service.domain import Booking, BookingRules, EventTerms
from bookings_service.testing import MemoryUnit, names

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
EVENT = uuid4()
TERMS = EventTerms(event_id=EVENT, created_by=uuid4(), start_time=NOW + timedelta(days=3), status="scheduled",
                   is_paid=False, price=None, currency=None, allowed_payment_methods=(), max_participants=10,
                   seats_available=10)


def sent(unit: MemoryUnit, sequence: int, seats: int) -> Booking:
    """Accepted as number `sequence` and already asking the Event for seats."""
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=TERMS, group_size=seats, payment_method=None,
                              rules=unit.rules(), now=NOW, sequence=sequence)
    booking.request_seats()
    unit.add(booking)
    unit.published()
    return booking


def answer(booking: Booking, *, granted: bool, available: int) -> SeatsReserved | SeatsRejected:
    if granted:
        return SeatsReserved(event_id=EVENT, booking_id=booking.id, seats=booking.group_size,
                             seats_available=available, attempt=booking.attempt)
    return SeatsRejected(event_id=EVENT, booking_id=booking.id, seats=booking.group_size, reason="full",
                         seats_available=available, attempt=booking.attempt)


def test_a_smaller_later_group_gives_back_seats_an_earlier_waiting_group_did_not_get():
    unit = MemoryUnit(rules_value=BookingRules(waitlist_policy="strict_fifo"), now=NOW)
    big, small = sent(unit, 1, 3), sent(unit, 2, 1)
    unit.given(answer(big, granted=False, available=2))  # 2 left: the group of 3 waits
    published = unit.given(answer(small, granted=True, available=1))  # the Event would let 1 pass it
    assert small.status == "waitlisted" and "ReleaseSeats" in names(published)
    assert [m for m in published if isinstance(m, ReleaseSeats)][0].booking_id == small.id
    line = unit.waitlist(EVENT)
    assert line.booking_ids() == [big.id, small.id]
    unit.given(SeatsReleased(event_id=EVENT, booking_id=small.id, seats=1, seats_available=3), version=9)
    assert big.status == "pending" and small.status == "waitlisted"  # the head goes first, and only the head


def test_first_fit_lets_the_smaller_group_keep_its_seats():
    unit = MemoryUnit(rules_value=BookingRules(waitlist_policy="first_fit"), now=NOW)
    big, small = sent(unit, 1, 3), sent(unit, 2, 1)
    unit.given(answer(big, granted=False, available=2))
    unit.given(answer(small, granted=True, available=1))
    assert small.status == "confirmed"


def test_rejections_arriving_out_of_order_still_line_up_by_acceptance():
    unit = MemoryUnit(rules_value=BookingRules(waitlist_policy="strict_fifo"), now=NOW)
    first, second, third = sent(unit, 5, 1), sent(unit, 6, 1), sent(unit, 7, 1)
    for booking in (third, first, second):
        unit.given(answer(booking, granted=False, available=0))
    line = unit.waitlist(EVENT)
    assert line.booking_ids() == [first.id, second.id, third.id]
    assert [line.position_of(b.id) for b in (first, second, third)] == [1, 2, 3]
