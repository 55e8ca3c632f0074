"""The booking saga's policy (DESIGN §5): one handler per message the bookings service reacts to.

The saga's state lives in the Booking and Waitlist aggregates; this policy only decides which of their
commands a message leads to. It hears messages in the domain's words (`saga_inputs`; the consumer maps
public messages to them at the edge) and does no I/O: aggregates come from a `SagaUnit` (the consumer's, backed
by the event store and read models, or a dict in unit tests), which also collects what changed so it
can be saved in one transaction with the message's position.

Steps and their compensations:
  SeatsReserved  → confirm (free) | hold + RequestPayment (paid) | ReleaseSeats (booking no longer live;
                   or, under strict_fifo, someone accepted earlier waits: back to the line, `may_take_seats`)
  SeatsRejected  → waitlist (full) | rejected (other; or full but the group exceeds the reduced capacity:
                   capacity_reduced; or the line is at max_waitlist_length: waitlist_full)
                   | RefundPayment (late payer lost the seats)
  SeatsReleased  → promote from the waitlist (ReserveSeats with attempt + 1)
  EventUpdated   → capacity reduced: waiting groups larger than it are rejected (capacity_reduced); promote
  EventCancelled → cancel every live booking: ReleaseSeats + RefundPayment where taken
  PaymentSucceeded → confirm | re-reserve after a lapsed hold | RefundPayment (nobody should keep it,
                     or amount/currency differ from what the booking asked for)
  PaymentFailed  → cancelled + ReleaseSeats
  PaymentRefunded → noted (or, for an operator's refund of a confirmed booking, cancelled + ReleaseSeats)
  SeatsLeased / LeaseRefused → the event's lease ledger (domain/lease.py) notes the answer
  LeasedSeatsReturned → promote from the waitlist (the returned seats are the Event's to give again)
  A booking joining the line while the ledger has free seats → they go back to the Event (the line gets them)
"""

from __future__ import annotations

from datetime import datetime
from functools import singledispatchmethod
from typing import Protocol
from uuid import UUID

from bookings_service.domain.booking import PENDING, WAITLISTED, Booking
from bookings_service.domain.lease import SeatLedger
from bookings_service.domain.saga_inputs import (
    EventCancelled,
    EventUpdated,
    LeasedSeatsReturned,
    LeaseRefused,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
    SeatsLeased,
    SeatsRejected,
    SeatsReleased,
    SeatsReserved,
)
from bookings_service.domain.terms import BookingRules
from bookings_service.domain.waitlist import Waitlist, may_take_seats
from bookings_service.domain.waitlist_policy import STRICT_FIFO
from bookings_service.domain.withdrawal import cancel_and_leave

# Why the saga itself rejects a booking (besides the Event's own reasons).
CAPACITY_REDUCED, WAITLIST_FULL = "capacity_reduced", "waitlist_full"


class SagaUnit(Protocol):
    """Where the policy finds aggregates and facts; everything it returns is saved together afterwards."""

    now: datetime
    leases: bool  # setting seat_leases: only then may a writer hold free leased seats a new line should get

    def booking(self, booking_id: UUID) -> Booking | None:
        """The booking, or None if this service never made it."""

    def waitlist(self, event_id: UUID, *, open_if_missing: bool = False) -> Waitlist | None:
        """The event's waitlist (a new one when asked to open it)."""

    def live_booking_ids(self, event_id: UUID) -> list[UUID]:
        """Bookings of the event not yet in a final status, as far as the read model knows."""

    def ledger(self, event_id: UUID) -> SeatLedger | None:
        """The event's seat lease ledger, or None when it never leased."""

    def rules(self) -> BookingRules:
        """Current platform settings."""


class BookingSaga:
    """Reacts to one message (a `saga_inputs` type)."""

    def __init__(self, unit: SagaUnit):
        self.unit = unit

    @singledispatchmethod
    def on(self, message: object) -> None:
        """Messages the saga does not use change nothing."""

    @on.register
    def _seats_reserved(self, message: SeatsReserved) -> None:
        booking = self.unit.booking(message.booking_id)
        if booking is None or booking.is_answered(message.attempt):
            return
        waitlist = self.unit.waitlist(message.event_id)
        if self._must_yield(booking, waitlist, message.attempt):
            assert waitlist is not None
            booking.yield_seats(message.attempt, waitlist.join(booking.id, booking.group_size, booking.sequence))
            return  # the seats come back (SeatsReleased) and go to the line by the policy
        booking.seats_reserved(message.attempt, now=self.unit.now, rules=self.unit.rules())
        if waitlist is not None:
            waitlist.leave(booking.id)
        self._promote(message.event_id, message.seats_available, message.seats_version)

    def _must_yield(self, booking: Booking, waitlist: Waitlist | None, attempt: int) -> bool:
        """Under strict_fifo, seats granted to a request while one accepted before it waits are not kept (the
        Event grants a smaller group behind a bigger one that did not fit: that would overtake it)."""
        return (self.unit.rules().waitlist_policy == STRICT_FIFO and booking.sequence is not None
                and booking.status == PENDING and attempt == booking.attempt and not booking.awaits_late_payment_seats
                and not may_take_seats(waitlist, booking.sequence))

    @on.register
    def _seats_rejected(self, message: SeatsRejected) -> None:
        booking = self.unit.booking(message.booking_id)
        if booking is None or booking.is_answered(message.attempt):
            return
        if booking.status == PENDING and message.attempt == booking.attempt:
            if booking.awaits_late_payment_seats:
                booking.refuse_late_payment(message.attempt)
            elif message.is_full:
                waitlist = self.unit.waitlist(message.event_id, open_if_missing=True)
                assert waitlist is not None
                self._to_line(booking, waitlist, message.attempt)
            else:
                booking.reject(message.reason, message.attempt)
                self._leave_line(booking)
        self._promote(message.event_id, message.seats_available, message.seats_version)

    @on.register
    def _seats_released(self, message: SeatsReleased) -> None:
        self._promote(message.event_id, message.seats_available, message.seats_version)

    @on.register
    def _seats_leased(self, message: SeatsLeased) -> None:
        ledger = self.unit.ledger(message.event_id)
        if ledger is not None:
            ledger.granted(message.lease_id, message.seats)
            if not may_take_seats(self.unit.waitlist(message.event_id)):
                ledger.return_free("waitlist")  # granted late, after a line formed: the line comes first

    @on.register
    def _lease_refused(self, message: LeaseRefused) -> None:
        ledger = self.unit.ledger(message.event_id)
        if ledger is not None:
            ledger.refused(message.lease_id, message.reason, self.unit.now)

    @on.register
    def _leased_seats_returned(self, message: LeasedSeatsReturned) -> None:
        self._promote(message.event_id, message.seats_unallocated, message.seats_version)

    @on.register
    def _event_updated(self, message: EventUpdated) -> None:
        if message.capacity is not None:
            # Groups that can no longer ever fit are rejected, so they stop blocking the line.
            waitlist = self.unit.waitlist(message.event_id, open_if_missing=True)
            assert waitlist is not None
            for booking_id in waitlist.capacity_changed(message.capacity, message.seats_version):
                booking = self.unit.booking(booking_id)
                if booking is not None and booking.status == WAITLISTED:
                    booking.reject(CAPACITY_REDUCED)
        # A larger capacity frees seats just like a release does.
        self._promote(message.event_id, message.seats_available, message.seats_version)

    @on.register
    def _event_cancelled(self, message: EventCancelled) -> None:
        waitlist = self.unit.waitlist(message.event_id)
        in_line = waitlist.booking_ids() if waitlist is not None else []
        ledger = self.unit.ledger(message.event_id)
        if waitlist is not None:
            waitlist.close()  # first: everyone leaves at once, not one Left event per booking
        for booking_id in dict.fromkeys([*in_line, *self.unit.live_booking_ids(message.event_id)]):
            booking = self.unit.booking(booking_id)
            if booking is not None:
                if ledger is not None and booking.holds_leased_seats:
                    ledger.give_back(booking.id)
                cancel_and_leave(booking, waitlist)
        if ledger is not None:
            ledger.close("event_cancelled")  # every leased seat goes back to the (cancelled) Event

    @on.register
    def _payment_succeeded(self, message: PaymentSucceeded) -> None:
        booking = self._booking_of(message.booking_id)
        if booking is not None:
            booking.payment_succeeded(message.payment_id, message.amount, message.currency)

    @on.register
    def _payment_failed(self, message: PaymentFailed) -> None:
        booking = self._booking_of(message.booking_id)
        if booking is not None:
            booking.payment_failed(message.payment_id)

    @on.register
    def _payment_refunded(self, message: PaymentRefunded) -> None:
        booking = self._booking_of(message.booking_id)
        if booking is not None:
            booking.payment_refunded(message.payment_id)

    # --- shared steps --------------------------------------------------------------------------------

    def _booking_of(self, booking_id: UUID | None) -> Booking | None:
        return None if booking_id is None else self.unit.booking(booking_id)

    def _to_line(self, booking: Booking, waitlist: Waitlist, attempt: int) -> None:
        """The event is full: wait in line — unless the group can never fit, or the line is full."""
        if not waitlist.can_ever_fit(booking.group_size):
            booking.reject(CAPACITY_REDUCED, attempt)
            waitlist.leave(booking.id)
        elif not waitlist.holds(booking.id) and waitlist.waiting_count >= self.unit.rules().max_waitlist_length:
            booking.reject(WAITLIST_FULL, attempt)
        else:
            booking.wait_in_line(waitlist.join(booking.id, booking.group_size, booking.sequence), attempt)
            # Someone waits: seats idle in the lease go back to the Event, whose answer promotes the line.
            # With leases off no ledger is looked up (a rush's batch would pay a query for nothing); a lease
            # left from before goes back when the event is cancelled.
            ledger = self.unit.ledger(booking.event_id) if self.unit.leases else None
            if ledger is not None:
                ledger.return_free("waitlist")

    def _leave_line(self, booking: Booking) -> None:
        waitlist = self.unit.waitlist(booking.event_id)
        if waitlist is not None:
            waitlist.leave(booking.id)

    def _promote(self, event_id: UUID, seats_available: int, version: int | None) -> None:
        """Step 6: give free seats to the line, by the configured policy."""
        waitlist = self.unit.waitlist(event_id)
        if waitlist is None or not waitlist.has_waiting:
            return
        promote(self.unit, waitlist, seats_available, version)


def promote(unit: SagaUnit, waitlist: Waitlist, seats_available: int, version: int | None) -> list[Booking]:
    """Promote the chosen entries' bookings; an entry whose booking is no longer waiting is dropped."""
    rules = unit.rules()
    promoted = []
    for booking_id in waitlist.promote(seats_available, rules.waitlist_policy, rules.waitlist_skip_limit,
                                       seats_version=version):
        booking = unit.booking(booking_id)
        if booking is None or booking.status != WAITLISTED:
            waitlist.leave(booking_id)
            continue
        booking.promote()
        promoted.append(booking)
    return promoted
