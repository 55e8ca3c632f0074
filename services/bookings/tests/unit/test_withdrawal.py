"""cancel_and_leave: the one operation behind the owner's cancel, the event cascade and the timer's net."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from bookings_service.domain import Actor, Booking, BookingRules, EventTerms, NotBookingOwner, Waitlist
from bookings_service.domain.withdrawal import cancel_and_leave

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
EVENT = uuid4()


def waiting(waitlist: Waitlist) -> Booking:
    terms = EventTerms(event_id=EVENT, created_by=uuid4(), start_time=NOW + timedelta(days=3), status="scheduled",
                       is_paid=False, price=None, currency=None, allowed_payment_methods=(), max_participants=10,
                       seats_available=0)
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=terms, group_size=2, payment_method=None,
                              rules=BookingRules(), now=NOW)
    booking.wait_in_line(waitlist.join(booking.id, booking.group_size))
    return booking


def test_the_owner_cancelling_leaves_the_line_in_the_same_step():
    waitlist = Waitlist(event_id=EVENT)
    first, second = waiting(waitlist), waiting(waitlist)
    cancel_and_leave(first, waitlist, actor=Actor(first.user_id))
    assert first.status == "cancelled" and first.reason == "left_waitlist"
    assert waitlist.booking_ids() == [second.id] and waitlist.position_of(second.id) == 1


def test_a_refused_cancellation_changes_neither_booking_nor_line():
    waitlist = Waitlist(event_id=EVENT)
    booking = waiting(waitlist)
    with pytest.raises(NotBookingOwner):
        cancel_and_leave(booking, waitlist, actor=Actor(uuid4()))
    assert booking.status == "waitlisted" and waitlist.holds(booking.id)


def test_the_event_called_off_cancels_and_a_closed_line_records_no_leave():
    waitlist = Waitlist(event_id=EVENT)
    booking = waiting(waitlist)
    waitlist.collect_events()
    waitlist.close()
    cancel_and_leave(booking, waitlist)
    cancel_and_leave(booking, waitlist)  # again: the booking already ended, nothing more happens
    assert booking.status == "cancelled" and booking.reason == "event_cancelled"
    assert [type(e).__name__ for e in waitlist.collect_events()] == ["Closed"]
