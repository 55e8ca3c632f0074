"""Internal Booking events → public messages. The only module that knows both languages.

One translate function per outgoing topic (each run by its own Relay):
* `to_event`            → bookings.v1 (the booking's life, keyed by booking id);
* `to_seat_command`     → events.commands.v1 (ReserveSeats / ReleaseSeats, and the lease ledger's
                          RequestSeatLease / ReturnLeasedSeats, addressed to the event);
* `to_payment_command`  → payments.commands.v1 (RequestPayment / RefundPayment / VoidPayment, addressed to the
                          payment).
Each returns None for whatever its topic does not carry.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from contracts.bookings import (
    BookingAwaitingPayment, BookingCancelled, BookingConfirmed, BookingExpired, BookingLatePaymentAccepted,
    BookingPromoted, BookingRejected, BookingRequested, BookingWaitlisted,
)
from contracts.events import ReleaseSeats, RequestSeatLease, ReserveSeats, ReturnLeasedSeats
from contracts.payments import RefundPayment, RequestPayment, VoidPayment
from pydantic import BaseModel

from bookings_service.domain import Booking
from bookings_service.domain.lease import SeatLedger

B = Booking


def _ref(e: Any) -> dict[str, Any]:
    return {"booking_id": e.originator_id, "event_id": e.event_id, "user_id": e.user_id}


# --- bookings.v1 -------------------------------------------------------------------------------------

@singledispatch
def to_event(domain_event: Any) -> BaseModel | None:
    """The bookings.v1 message for an internal event, or None."""
    return None


@to_event.register
def _(e: B.Requested) -> BaseModel:  # type: ignore[name-defined]
    return BookingRequested(booking_id=e.originator_id, event_id=e.event_id, user_id=e.user_id,
                            group_size=e.group_size, payment_method=e.payment_method, requested_at=e.timestamp)


@to_event.register
def _(e: B.SeatsHeld) -> BaseModel:  # type: ignore[name-defined]
    return BookingAwaitingPayment(**_ref(e), payment_id=e.payment_id, amount=e.amount, currency=e.currency,
                                  expires_at=e.expires_at)


@to_event.register
def _(e: B.Confirmed) -> BaseModel:  # type: ignore[name-defined]
    return BookingConfirmed(**_ref(e), group_size=e.group_size, payment_id=e.payment_id)


@to_event.register
def _(e: B.Waitlisted) -> BaseModel:  # type: ignore[name-defined]
    return BookingWaitlisted(**_ref(e), position=e.position)


@to_event.register
def _(e: B.Promoted) -> BaseModel:  # type: ignore[name-defined]
    return BookingPromoted(**_ref(e), group_size=e.group_size)


@to_event.register
def _(e: B.Cancelled) -> BaseModel:  # type: ignore[name-defined]
    return BookingCancelled(**_ref(e), reason=e.reason, refund_payment_id=e.refund_payment_id,
                            refund_amount=getattr(e, "refund_amount", None))


@to_event.register
def _(e: B.Rejected) -> BaseModel:  # type: ignore[name-defined]
    return BookingRejected(**_ref(e), reason=e.reason)


@to_event.register
def _(e: B.Expired) -> BaseModel:  # type: ignore[name-defined]
    return BookingExpired(**_ref(e), payment_id=e.payment_id)


@to_event.register
def _(e: B.LatePaymentAccepted) -> BaseModel:  # type: ignore[name-defined]
    return BookingLatePaymentAccepted(**_ref(e), group_size=e.group_size, payment_id=e.payment_id)


@to_event.register
def _(e: B.LatePaymentRefused) -> BaseModel:  # type: ignore[name-defined]
    # The late payer's re-reservation failed: the booking is (again) expired, its money on the way back.
    return BookingExpired(**_ref(e), payment_id=e.payment_id)


# --- events.commands.v1 --------------------------------------------------------------------------------

@singledispatch
def to_seat_command(domain_event: Any) -> BaseModel | None:
    """The events.commands.v1 command an internal event asks for, or None."""
    return None


def _reserve(e: Any) -> ReserveSeats:
    return ReserveSeats(event_id=e.event_id, booking_id=e.originator_id, seats=e.group_size, user_id=e.user_id,
                        attempt=e.attempt)


def _release(e: Any, reason: str) -> ReleaseSeats:
    return ReleaseSeats(event_id=e.event_id, booking_id=e.originator_id, reason=reason)


for _cls in (B.SeatsRequested, B.Promoted, B.LatePaymentAccepted):  # type: ignore[attr-defined]
    to_seat_command.register(_cls, _reserve)


@to_seat_command.register
def _(e: B.SeatsRequestRepeated) -> BaseModel:  # type: ignore[name-defined]
    # The sweeper asks again, same attempt: the Event answers it again if it already did (the answer was lost).
    return _reserve(e).model_copy(update={"repeat": True})


@to_seat_command.register
def _(e: B.Cancelled) -> BaseModel | None:  # type: ignore[name-defined]
    return _release(e, e.reason) if e.release_seats else None


@to_seat_command.register
def _(e: B.Expired) -> BaseModel:  # type: ignore[name-defined]
    return _release(e, "hold_expired")


@to_seat_command.register
def _(e: B.UnwantedSeatsReleased) -> BaseModel:  # type: ignore[name-defined]
    return _release(e, "booking_not_live")


@to_seat_command.register
def _(e: SeatLedger.LeaseRequested) -> BaseModel:  # type: ignore[name-defined]
    return RequestSeatLease(event_id=e.event_id, lease_id=e.lease_id, seats=e.seats)


@to_seat_command.register
def _(e: SeatLedger.LeaseRequestRepeated) -> BaseModel:  # type: ignore[name-defined]
    # The same lease id again: the Event answers it again instead of granting twice.
    return RequestSeatLease(event_id=e.event_id, lease_id=e.lease_id, seats=e.seats)


@to_seat_command.register
def _(e: SeatLedger.SeatsReturned) -> BaseModel:  # type: ignore[name-defined]
    return ReturnLeasedSeats(event_id=e.event_id, return_id=e.return_id, seats=e.seats, reason=e.reason)


def seat_command_address(payload: BaseModel, domain_event: Any) -> str:
    """Seat commands go to the event (its id is the Kafka key: one writer per event)."""
    return str(payload.event_id)  # type: ignore[attr-defined]


# --- payments.commands.v1 ------------------------------------------------------------------------------

@singledispatch
def to_payment_command(domain_event: Any) -> BaseModel | None:
    """The payments.commands.v1 command an internal event asks for, or None."""
    return None


@to_payment_command.register
def _(e: B.SeatsHeld) -> BaseModel:  # type: ignore[name-defined]
    return RequestPayment(payment_id=e.payment_id, booking_id=e.originator_id, event_id=e.event_id,
                          user_id=e.user_id, amount=e.amount, currency=e.currency, payment_method=e.payment_method,
                          expires_at=e.expires_at, organizer_id=getattr(e, "organizer_id", None))


@to_payment_command.register
def _(e: B.Cancelled) -> BaseModel | None:  # type: ignore[name-defined]
    void_id = getattr(e, "void_payment_id", None)
    if void_id is not None:  # cancelled while awaiting payment: nobody may pay it any more
        return VoidPayment(payment_id=void_id, booking_id=e.originator_id, reason=e.reason)
    if e.refund_payment_id is None:
        return None
    # Events stored before the refund fee existed have no refund_amount: they refund in full.
    # The refund says why with the cancellation's own word (contracts.vocabulary.RefundReason), e.g. `user`.
    return RefundPayment(payment_id=e.refund_payment_id, booking_id=e.originator_id, reason=e.reason,
                         amount=getattr(e, "refund_amount", None))


@to_payment_command.register
def _(e: B.RefundRequested) -> BaseModel:  # type: ignore[name-defined]
    return RefundPayment(payment_id=e.payment_id, booking_id=e.originator_id, reason=e.reason)


@to_payment_command.register
def _(e: B.LatePaymentRefused) -> BaseModel:  # type: ignore[name-defined]
    return RefundPayment(payment_id=e.payment_id, booking_id=e.originator_id, reason="hold_expired_seats_gone")


def payment_command_address(payload: BaseModel, domain_event: Any) -> str:
    """Payment commands go to the payment (its id is the Kafka key)."""
    return str(payload.payment_id)  # type: ignore[attr-defined]
