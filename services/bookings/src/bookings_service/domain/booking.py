"""The Booking aggregate: one request for seats and its whole saga state (DESIGN §5).

Every step the saga takes is an event on the booking, and each step that can be undone carries what
its undo needs: seats requested ↔ released (`released_attempt`), payment requested ↔ refunded
(`refunds_requested`). Reservation attempts are numbered, so an answer to an older attempt or a
repeated one changes nothing. Each event carries `event_id`/`user_id`, so public.py can translate it
alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from bookings_service.domain import errors
from bookings_service.domain.cancellation import NO_TERMS, CancellationTerms, refund_after_fee
from bookings_service.domain.status import HOLDS_OR_ASKS_SEATS, LIVE, BookingStatus
from bookings_service.domain.terms import Actor, BookingRules, EventTerms

# Short names of the states, for the rules below and code written against them.
PENDING, AWAITING_PAYMENT, CONFIRMED = BookingStatus.PENDING, BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED
WAITLISTED, CANCELLED = BookingStatus.WAITLISTED, BookingStatus.CANCELLED
REJECTED, EXPIRED = BookingStatus.REJECTED, BookingStatus.EXPIRED


def payment_id_for(booking_id: UUID, attempt: int) -> UUID:
    """Deterministic per attempt: a redelivered step asks payments for the same payment, not a second one."""
    return uuid5(NAMESPACE_URL, f"/payments/{booking_id}/{attempt}")


class Booking(Aggregate):
    """Seats for a group at one event, from request to a final status."""

    @staticmethod
    def create_id(booking_id: UUID) -> UUID:
        return booking_id

    @classmethod
    def request(cls, *, booking_id: UUID, user_id: UUID, terms: EventTerms, group_size: int,
                payment_method: str | None, rules: BookingRules, now: datetime,
                sequence: int | None = None) -> Booking:
        """A user asks for seats; every rule on the request is checked before anything is recorded.
        `sequence`: its acceptance number within the event (first come, first served)."""
        terms.check_bookable(now)
        rules.check_group_size(group_size, terms)
        method = terms.check_payment_method(payment_method)
        return cls(booking_id=booking_id, event_id=terms.event_id, user_id=user_id, group_size=group_size,
                   payment_method=method, amount=terms.amount_for(group_size),
                   currency=terms.currency if terms.is_paid else None, organizer_id=terms.created_by,
                   event_starts_at=terms.start_time, sequence=sequence)

    class Requested(Aggregate.Created):
        booking_id: UUID
        event_id: UUID
        user_id: UUID
        group_size: int
        payment_method: str | None
        amount: Decimal | None
        currency: str | None
        organizer_id: UUID | None = None
        event_starts_at: datetime | None = None
        sequence: int | None = None

    @event(Requested)
    def __init__(self, booking_id: UUID, event_id: UUID, user_id: UUID, group_size: int,
                 payment_method: str | None, amount: Decimal | None, currency: str | None,
                 organizer_id: UUID | None = None, event_starts_at: datetime | None = None,
                 sequence: int | None = None) -> None:
        # sequence: absent from bookings requested before acceptance numbers (they keep their join order).
        self.sequence = sequence
        # organizer_id, event_starts_at: absent from bookings requested before cash was taken at the door. The
        # organizer may confirm the booking's cash; a cash hold lasts until (shortly before) the start.
        self.organizer_id = organizer_id
        self.event_starts_at = event_starts_at
        self.event_id = event_id
        self.user_id = user_id
        self.group_size = group_size
        self.payment_method = payment_method
        self.amount = amount
        self.currency = currency
        self.status: BookingStatus = PENDING
        self.reason: str | None = None
        self.attempt = 0  # reservation attempts asked of the Event
        self.answered_attempt = 0  # the last attempt the Event answered
        self.released_attempt = 0  # ReleaseSeats was sent after this attempt's ReserveSeats
        self.payment_id: UUID | None = None  # the payment currently asked for
        self.expires_at: datetime | None = None
        self.paid_payment_id: UUID | None = None  # money actually taken
        self.refunds_requested: list[UUID] = []
        self.refunds_completed: list[UUID] = []
        self.waitlisted_position: int | None = None
        self.refund_fee: Decimal | None = None  # kept by the platform when the participant cancelled
        self.redrives = 0  # times `redriven_attempt` was asked again (the sweeper backs off between them)
        self.redriven_attempt = 0

    # --- queries -------------------------------------------------------------------------------------

    @property
    def is_paid(self) -> bool:
        return self.amount is not None

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    @property
    def awaits_late_payment_seats(self) -> bool:
        """Paid after the hold lapsed, now asking for seats again."""
        return self.status == PENDING and self.paid_payment_id is not None

    @property
    def holds_leased_seats(self) -> bool:
        """Confirmed on seats of the event's lease ledger (they return there when it ends)."""
        return self.status == CONFIRMED and getattr(self, "from_lease", False)

    def is_answered(self, attempt: int) -> bool:
        """True for an answer the booking already had (a duplicate or an older attempt)."""
        return attempt <= self.answered_attempt

    def _ref(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "user_id": self.user_id}

    # --- guards --------------------------------------------------------------------------------------

    def check_may_view(self, actor: Actor, organizer_id: UUID | None) -> None:
        """The owner, the event's organizer and staff with bookings:read_all may read a booking."""
        if actor.user_id not in (self.user_id, organizer_id) and not (actor.may_read_all or actor.may_manage_any):
            raise errors.NotBookingOwner("this booking belongs to someone else")

    def check_may_cancel(self, actor: Actor) -> None:
        """Only the owner or an admin may cancel."""
        if actor.user_id != self.user_id and not actor.may_manage_any:
            raise errors.NotBookingOwner("only the booking's owner or an admin may cancel it")

    def check_cancellable(self) -> None:
        """A booking that already ended cannot be cancelled (again)."""
        if self.status == CANCELLED:
            raise errors.BookingAlreadyCancelled(f"booking {self.id} is already cancelled")
        if not self.is_live:
            raise errors.BookingNotCancellable(f"booking {self.id} is {self.status}; it can no longer be cancelled")

    def _price(self) -> tuple[Decimal, str, str]:
        """A paid booking's amount, currency and method (`request` sets all three for a paid event)."""
        if self.amount is None or self.currency is None or self.payment_method is None:
            raise errors.IllegalTransition(f"booking {self.id} has no price to hold seats for")
        return self.amount, self.currency, self.payment_method

    def _check_status(self, *allowed: BookingStatus) -> None:
        if self.status not in allowed:
            raise errors.IllegalTransition(f"booking {self.id} is {self.status}, expected {' or '.join(allowed)}")

    # --- step 1: ask the Event for seats (undo: release) ---------------------------------------------

    def request_seats(self) -> None:
        """Ask the Event to hold the seats (ReserveSeats)."""
        self._check_status(PENDING)
        self._seats_requested(**self._ref(), group_size=self.group_size, attempt=self.attempt + 1)

    class SeatsRequested(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        group_size: int
        attempt: int

    @event(SeatsRequested)
    def _seats_requested(self, event_id: UUID, user_id: UUID, group_size: int, attempt: int) -> None:
        self.attempt = attempt

    def is_stuck(self, now: datetime, after: timedelta) -> bool:
        """Asked the Event for seats (a request, a promotion, a late payment) and heard nothing for `after`
        (doubled after each time it was asked again, up to 32 ×: an events outage is not flooded with repeats)."""
        waited = after * 2 ** min(self._redrives_of_attempt(), 5)
        return self.status == PENDING and self.attempt > self.answered_attempt and now - self.modified_on >= waited

    def _redrives_of_attempt(self) -> int:
        return self.redrives if self.redriven_attempt == self.attempt else 0

    def redrive(self, now: datetime, after: timedelta) -> bool:
        """Ask the Event again with the same attempt (it answers again, changing nothing); True if asked.

        Nothing else changes, so the seats are never asked for twice; the event itself dates the last ask."""
        if not self.is_stuck(now, after):
            return False
        self._seats_request_repeated(**self._ref(), group_size=self.group_size, attempt=self.attempt)
        return True

    class SeatsRequestRepeated(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        group_size: int
        attempt: int

    @event(SeatsRequestRepeated)
    def _seats_request_repeated(self, event_id: UUID, user_id: UUID, group_size: int, attempt: int) -> None:
        self.redrives = self._redrives_of_attempt() + 1
        self.redriven_attempt = attempt

    # --- step 2: seats reserved → hold for payment, or confirm -----------------------------------------

    def seats_reserved(self, attempt: int, *, now: datetime, rules: BookingRules) -> None:
        """The Event holds seats for `attempt`: confirm, hold for payment, or give back unwanted seats."""
        if self.is_answered(attempt):
            return
        if self.status == PENDING and attempt == self.attempt:
            if self.paid_payment_id is not None:
                self._confirmed(**self._ref(), group_size=self.group_size, attempt=attempt,
                                payment_id=self.paid_payment_id)
            elif self.is_paid:
                amount, currency, method = self._price()
                cash_until = self.event_starts_at if method == "cash" else None
                self._seats_held(**self._ref(), attempt=attempt, payment_id=payment_id_for(self.id, attempt),
                                 amount=amount, currency=currency, payment_method=method,
                                 expires_at=rules.hold_deadline(now, cash_until=cash_until),
                                 organizer_id=self.organizer_id)
            else:
                self._confirmed(**self._ref(), group_size=self.group_size, attempt=attempt, payment_id=None)
        elif attempt > self.released_attempt:
            # Compensation: seats arrived for a booking that no longer wants them.
            self._unwanted_seats_released(**self._ref(), attempt=attempt)

    def confirm_from_lease(self) -> None:
        """A free booking confirmed at once on seats of the event's lease (domain/lease.py), without asking the
        Event: the lease ledger already holds them, so this booking never reserves (nor releases) at the Event."""
        self._check_status(PENDING)
        if self.is_paid or self.attempt:
            raise errors.IllegalTransition(f"booking {self.id} cannot be confirmed from a lease")
        self._confirmed(**self._ref(), group_size=self.group_size, attempt=0, payment_id=None, from_lease=True)

    class SeatsHeld(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        attempt: int
        payment_id: UUID
        amount: Decimal
        currency: str
        payment_method: str
        expires_at: datetime
        organizer_id: UUID | None = None

    @event(SeatsHeld)
    def _seats_held(self, event_id: UUID, user_id: UUID, attempt: int, payment_id: UUID, amount: Decimal,
                    currency: str, payment_method: str, expires_at: datetime,
                    organizer_id: UUID | None = None) -> None:
        self.status = AWAITING_PAYMENT
        self.answered_attempt = attempt
        self.payment_id = payment_id
        self.expires_at = expires_at

    class Confirmed(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        group_size: int
        attempt: int
        payment_id: UUID | None
        from_lease: bool = False

    @event(Confirmed)
    def _confirmed(self, event_id: UUID, user_id: UUID, group_size: int, attempt: int,
                   payment_id: UUID | None, from_lease: bool = False) -> None:
        # from_lease: absent from bookings confirmed before leases existed (they reserved at the Event).
        self.from_lease = from_lease
        self.status = CONFIRMED
        self.answered_attempt = attempt
        self.paid_payment_id = payment_id
        self.expires_at = None

    class UnwantedSeatsReleased(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        attempt: int

    @event(UnwantedSeatsReleased)
    def _unwanted_seats_released(self, event_id: UUID, user_id: UUID, attempt: int) -> None:
        self.answered_attempt = attempt
        self.released_attempt = attempt

    def yield_seats(self, attempt: int, position: int) -> None:
        """Strict first come, first served: the Event granted seats to this request while one accepted before it
        waits in line; the seats go back (ReleaseSeats) and this booking waits at its own place."""
        self._check_status(PENDING)
        self._unwanted_seats_released(**self._ref(), attempt=attempt)
        self._waitlisted(**self._ref(), position=position, attempt=attempt)

    # --- step 3: rejected → waitlist (full) or rejected ------------------------------------------------

    def wait_in_line(self, position: int, attempt: int | None = None) -> None:
        """Join (or go back to) the event's waitlist at `position`."""
        self._check_status(PENDING)
        self._waitlisted(**self._ref(), position=position,
                         attempt=self.attempt if attempt is None else attempt)

    class Waitlisted(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        position: int
        attempt: int

    @event(Waitlisted)
    def _waitlisted(self, event_id: UUID, user_id: UUID, position: int, attempt: int) -> None:
        self.status = WAITLISTED
        self.answered_attempt = max(self.answered_attempt, attempt)
        self.waitlisted_position = position

    def reject(self, reason: str, attempt: int | None = None) -> None:
        """The Event will never take this booking (cancelled, not bookable, unknown, capacity reduced below the
        group, line full). A waitlisted booking holds no seats, so nothing is released."""
        self._check_status(PENDING, WAITLISTED)
        self._rejected(**self._ref(), reason=reason, attempt=self.attempt if attempt is None else attempt)

    class Rejected(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        reason: str
        attempt: int

    @event(Rejected)
    def _rejected(self, event_id: UUID, user_id: UUID, reason: str, attempt: int) -> None:
        self.status = REJECTED
        self.reason = reason
        self.answered_attempt = max(self.answered_attempt, attempt)
        self.waitlisted_position = None

    # --- step 4: payment outcome, or the hold deadline -------------------------------------------------

    def payment_succeeded(self, payment_id: UUID, amount: Decimal | None = None, currency: str | None = None) -> None:
        """Money arrived: confirm, re-reserve after a lapsed hold, or give back money nobody should keep.

        A payment whose amount or currency is not what this booking asked for confirms nothing: it is
        refunded, and the hold runs out as if it had not been paid (a second wall behind payments' own)."""
        if payment_id in self.refunds_requested or payment_id == self.paid_payment_id:
            return  # already handled
        if amount is not None and self.is_paid and not self.is_paid_with(amount, currency):
            self._refund_requested(**self._ref(), payment_id=payment_id, reason="amount_mismatch")
        elif self.status == AWAITING_PAYMENT and payment_id == self.payment_id:
            self._confirmed(**self._ref(), group_size=self.group_size, attempt=self.attempt, payment_id=payment_id)
        elif self.status == EXPIRED and payment_id == self.payment_id:
            self._late_payment_accepted(**self._ref(), group_size=self.group_size, payment_id=payment_id,
                                        attempt=self.attempt + 1)
        else:
            # Not the payment this booking waits for (any more): contracts.vocabulary.RefundReason.
            self._refund_requested(**self._ref(), payment_id=payment_id, reason="booking_not_live")

    def is_paid_with(self, amount: Decimal, currency: str | None) -> bool:
        """Whether a payment of `amount` `currency` is exactly what this booking costs."""
        return (self.amount is not None and Decimal(amount) == self.amount
                and (currency or "").upper() == (self.currency or "").upper())

    class LatePaymentAccepted(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        group_size: int
        payment_id: UUID
        attempt: int

    @event(LatePaymentAccepted)
    def _late_payment_accepted(self, event_id: UUID, user_id: UUID, group_size: int, payment_id: UUID,
                               attempt: int) -> None:
        self.status = PENDING
        self.paid_payment_id = payment_id
        self.attempt = attempt

    def refuse_late_payment(self, attempt: int) -> None:
        """Seats are gone for a late payer: the booking stays expired and the money goes back."""
        self._check_status(PENDING)
        if self.paid_payment_id is None:
            raise errors.IllegalTransition(f"booking {self.id} has no late payment to refuse")
        self._late_payment_refused(**self._ref(), payment_id=self.paid_payment_id, attempt=attempt)

    class LatePaymentRefused(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        payment_id: UUID
        attempt: int

    @event(LatePaymentRefused)
    def _late_payment_refused(self, event_id: UUID, user_id: UUID, payment_id: UUID, attempt: int) -> None:
        self.status = EXPIRED
        self.answered_attempt = attempt
        self.refunds_requested.append(payment_id)
        self.paid_payment_id = None

    class RefundRequested(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        payment_id: UUID
        reason: str

    @event(RefundRequested)
    def _refund_requested(self, event_id: UUID, user_id: UUID, payment_id: UUID, reason: str) -> None:
        self.refunds_requested.append(payment_id)

    def payment_failed(self, payment_id: UUID) -> None:
        """The payment of the current hold failed: cancel and give the seats back."""
        if self.status == AWAITING_PAYMENT and payment_id == self.payment_id:
            self._end("payment_failed", void=False)

    def payment_refunded(self, payment_id: UUID) -> None:
        """Money went back. Refunds we asked for are noted; a refund of a confirmed booking's payment
        (by an operator) ends the booking, since a seat is never kept without money."""
        if payment_id in self.refunds_requested:
            if payment_id not in self.refunds_completed:
                self._refund_completed(payment_id=payment_id)
        elif self.status == CONFIRMED and payment_id == self.paid_payment_id:
            self._end("payment_refunded", refund=False)

    class RefundCompleted(Aggregate.Event):
        payment_id: UUID

    @event(RefundCompleted)
    def _refund_completed(self, payment_id: UUID) -> None:
        self.refunds_completed.append(payment_id)

    def expire(self, now: datetime) -> bool:
        """The hold lapsed without payment: expire and release. Re-checked here, whatever the timer saw."""
        if self.status != AWAITING_PAYMENT or self.expires_at is None or now < self.expires_at:
            return False
        self._expired(**self._ref(), payment_id=self.payment_id, attempt=self.attempt)
        return True

    class Expired(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        payment_id: UUID | None
        attempt: int

    @event(Expired)
    def _expired(self, event_id: UUID, user_id: UUID, payment_id: UUID | None, attempt: int) -> None:
        self.status = EXPIRED
        self.released_attempt = attempt

    # --- step 5/7: cancellation (user, admin, event cancelled) ----------------------------------------

    def cancel(self, actor: Actor, terms: CancellationTerms = NO_TERMS) -> None:
        """The owner (or an admin) cancels: seats go back, money goes back (less the participant's fee), the
        line is left. The owner is bound by the cancellation deadline; an admin is not (domain/cancellation.py)."""
        self.check_may_cancel(actor)
        self.check_cancellable()
        if self.status == WAITLISTED:
            self._end("left_waitlist")
        elif actor.user_id != self.user_id:
            self._end("admin")  # operational: no deadline, full refund
        else:
            if self.status == CONFIRMED or self.paid_payment_id is not None:
                terms.check_in_time()
            self._end("user", fee_percent=terms.fee_percent)

    def cancel_for_event(self) -> None:
        """The event was called off; no-op for bookings that already ended."""
        if self.is_live:
            self._end("event_cancelled")

    def _end(self, reason: str, *, refund: bool = True, fee_percent: Decimal = Decimal(0), void: bool = True) -> None:
        # Seats taken from the lease go back to the lease ledger (the application does it), not to the Event.
        release = self.status in HOLDS_OR_ASKS_SEATS and not self.holds_leased_seats
        # A payment still awaited is voided, so nobody pays for a booking that is gone (a charge that races in
        # anyway is refunded: payment_succeeded on a cancelled booking).
        void_id = self.payment_id if void and self.status == AWAITING_PAYMENT else None
        refund_id = self.paid_payment_id if refund and self.paid_payment_id not in self.refunds_requested else None
        refund_amount = refund_fee = None
        if refund_id is not None and self.amount is not None and fee_percent:
            split = refund_after_fee(self.amount, self.currency, fee_percent)
            if not split.is_full:
                refund_amount, refund_fee = split.refund, split.fee
                if split.refund <= 0:
                    refund_id = None  # a 100 % fee: nothing goes back
        self._cancelled(**self._ref(), group_size=self.group_size, reason=reason, release_seats=release,
                        refund_payment_id=refund_id, refund_amount=refund_amount, refund_fee=refund_fee,
                        void_payment_id=void_id)

    class Cancelled(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        group_size: int
        reason: str
        release_seats: bool
        refund_payment_id: UUID | None
        refund_amount: Decimal | None = None
        refund_fee: Decimal | None = None
        void_payment_id: UUID | None = None

    @event(Cancelled)
    def _cancelled(self, event_id: UUID, user_id: UUID, group_size: int, reason: str, release_seats: bool,
                   refund_payment_id: UUID | None, refund_amount: Decimal | None = None,
                   refund_fee: Decimal | None = None, void_payment_id: UUID | None = None) -> None:
        # refund_amount/refund_fee: set only when a fee was kept (older events lack them: a full refund).
        self.status = CANCELLED
        self.reason = reason
        self.expires_at = None
        self.refund_fee = refund_fee
        if release_seats:
            self.released_attempt = self.attempt
        if refund_payment_id is not None:
            self.refunds_requested.append(refund_payment_id)

    # --- step 6: promotion from the waitlist ------------------------------------------------------------

    def promote(self) -> None:
        """Seats freed up: leave the line and ask for seats again (a paid booking gets a fresh hold)."""
        self._check_status(WAITLISTED)
        self._promoted(**self._ref(), group_size=self.group_size, attempt=self.attempt + 1)

    class Promoted(Aggregate.Event):
        event_id: UUID
        user_id: UUID
        group_size: int
        attempt: int

    @event(Promoted)
    def _promoted(self, event_id: UUID, user_id: UUID, group_size: int, attempt: int) -> None:
        self.status = PENDING
        self.attempt = attempt
        self.waitlisted_position = None
