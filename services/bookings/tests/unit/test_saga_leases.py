"""The saga's lease steps as given-message / expect-command scenarios (issue 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.events import EventCancelled, LeasedSeatsReturned, LeaseRefused, SeatsLeased, SeatsRejected

from bookings_service.domain import Booking, BookingRules, EventTerms, Waitlist
from bookings_service.domain.lease import SeatLedger
from bookings_service.testing import MemoryUnit, names

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
EVENT = uuid4()
TERMS = EventTerms(event_id=EVENT, created_by=uuid4(), start_time=NOW + timedelta(days=3), status="scheduled",
                   is_paid=False, price=None, currency=None, allowed_payment_methods=(), max_participants=10,
                   seats_available=10)


def leased(unit: MemoryUnit, seats: int) -> SeatLedger:
    ledger = SeatLedger(event_id=EVENT)
    lease_id = ledger.ask(seats, NOW)
    unit.add(ledger)
    assert names(unit.published()) == ["RequestSeatLease"]
    assert names(unit.given(SeatsLeased(event_id=EVENT, lease_id=lease_id, seats=seats, seats_leased=seats,
                                        seats_unallocated=0))) == ["LeaseUseChanged"]  # for the catalogue
    return ledger


def confirmed_from(unit: MemoryUnit, ledger: SeatLedger, seats: int = 1) -> Booking:
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=TERMS, group_size=seats,
                              payment_method=None, rules=BookingRules(), now=NOW)
    booking.confirm_from_lease()
    ledger.take(booking.id, seats, NOW)
    unit.add(booking)
    # Nothing asked of the Event; the catalogue hears the ledger's use.
    assert sorted(names(unit.published())) == ["BookingConfirmed", "BookingRequested", "LeaseUseChanged"]
    return booking


def test_granted_seats_land_in_the_ledger_once_and_refusals_of_other_kinds_close_it():
    unit = MemoryUnit(now=NOW)
    ledger = leased(unit, 4)
    assert ledger.leased == 4
    lease_id = ledger.ask(4, NOW)
    unit.published()
    unit.given(LeaseRefused(event_id=EVENT, lease_id=lease_id, seats=4, reason="event_cancelled"))
    assert ledger.closed


def test_a_leased_booking_ends_with_the_event_and_every_leased_seat_goes_back():
    unit = MemoryUnit(now=NOW)
    ledger = leased(unit, 4)
    booking = confirmed_from(unit, ledger, 2)

    published = unit.given(EventCancelled(event_id=EVENT, reason="rain", cancelled_at=NOW))

    # No ReleaseSeats: the Event never held that booking's seats; the lease goes back whole.
    assert sorted(names(published)) == ["BookingCancelled", "LeaseUseChanged", "ReturnLeasedSeats"]
    assert ledger.leased == 0 and booking.status == "cancelled"


def test_a_group_sent_to_the_line_makes_idle_leased_seats_go_back_and_their_return_promotes_the_line():
    unit = MemoryUnit(now=NOW)
    leased(unit, 2)
    group = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=TERMS, group_size=3, payment_method=None,
                            rules=BookingRules(), now=NOW)
    group.request_seats()
    unit.add(group)
    unit.published()

    out = unit.given(SeatsRejected(event_id=EVENT, booking_id=group.id, seats=3, reason="full", seats_available=0))
    assert sorted(names(out)) == ["BookingWaitlisted", "LeaseUseChanged", "ReturnLeasedSeats"]
    assert [m.seats for m in out if type(m).__name__ == "ReturnLeasedSeats"] == [2]

    out = unit.given(LeasedSeatsReturned(event_id=EVENT, return_id=uuid4(), seats=2, seats_leased=0,
                                         seats_unallocated=3), 9)
    assert names(out) == ["BookingPromoted", "ReserveSeats"]
    assert isinstance(unit.waitlist(EVENT), Waitlist)


def test_seats_granted_after_a_line_formed_go_straight_back_to_the_event_for_it():
    unit = MemoryUnit(now=NOW)
    ledger = SeatLedger(event_id=EVENT)
    lease_id = ledger.ask(5, NOW)
    waitlist = Waitlist(event_id=EVENT)
    waitlist.join(uuid4(), 2)
    unit.add(ledger, waitlist)
    unit.published()

    out = unit.given(SeatsLeased(event_id=EVENT, lease_id=lease_id, seats=5, seats_leased=5, seats_unallocated=0))

    assert [(type(m).__name__, m.seats) for m in out] == [("ReturnLeasedSeats", 5)]
    assert (ledger.leased, ledger.free) == (0, 0)


def test_seats_granted_while_an_earlier_booking_is_being_promoted_go_back_too():
    # The ordering rule (`may_take_seats`): anyone in line counts, also one promoted and not yet answered.
    unit = MemoryUnit(now=NOW)
    ledger = SeatLedger(event_id=EVENT)
    lease_id = ledger.ask(4, NOW)
    waitlist = Waitlist(event_id=EVENT)
    waitlist.join(uuid4(), 2, 1)
    assert waitlist.promote(2, "strict_fifo", 3, seats_version=1)
    assert not waitlist.has_waiting and waitlist.has_promoting
    unit.add(ledger, waitlist)
    unit.published()

    out = unit.given(SeatsLeased(event_id=EVENT, lease_id=lease_id, seats=4, seats_leased=4, seats_unallocated=0))

    assert [(type(m).__name__, m.seats) for m in out] == [("ReturnLeasedSeats", 4)]
    assert ledger.free == 0


@pytest.mark.parametrize("leases", [False, True])
def test_with_leases_off_a_waitlisting_never_looks_up_a_lease_ledger(leases):
    """A rush's batch of waitlistings would otherwise cost a store query for a ledger that cannot exist."""
    unit = MemoryUnit(now=NOW, leases=leases)
    booking = Booking.request(booking_id=uuid4(), user_id=uuid4(), terms=TERMS, group_size=1, payment_method=None,
                              rules=BookingRules(), now=NOW)
    booking.request_seats()
    unit.add(booking)
    unit.published()

    out = unit.given(SeatsRejected(event_id=EVENT, booking_id=booking.id, seats=1, reason="full", seats_available=0))

    assert names(out) == ["BookingWaitlisted"] and booking.status == "waitlisted"
    assert (unit.ledger_lookups > 0) is leases
