"""Internal Booking events → public messages. The only module that knows both languages.

One translate function per outgoing topic (each run by its own Relay), named as in every service:
* `to_public`           → bookings.v1 (the booking's life, keyed by booking id; the lease ledger's use once
                          per save, keyed by the ledger);
* `to_seat_command`     → events.commands.v1 (ReserveSeats / ReleaseSeats, and the lease ledger's
                          RequestSeatLease / ReturnLeasedSeats, addressed to the event);
* `to_payment_command`  → payments.commands.v1 (RequestPayment / RefundPayment / VoidPayment, addressed to the
                          payment).
Each returns None for whatever its topic does not carry. The Booking declares its event classes, so each
translation below is type-checked against the fields the event really has.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from pydantic import BaseModel

from contracts.bookings import (
    BookingAwaitingPayment,
    BookingCancelled,
    BookingConfirmed,
    BookingExpired,
    BookingLatePaymentAccepted,
    BookingPromoted,
    BookingRejected,
    BookingRequested,
    BookingWaitlisted,
    LeaseUseChanged,
)
from contracts.events import ReleaseSeats, RequestSeatLease, ReserveSeats, ReturnLeasedSeats
from contracts.payments import RefundPayment, RequestPayment, VoidPayment

from bookings_service.domain import Booking
from bookings_service.domain.lease import SeatLedger


def _ref(e: Any) -> dict[str, Any]:
    return {"booking_id": e.originator_id, "event_id": e.event_id, "user_id": e.user_id}


# --- bookings.v1 -------------------------------------------------------------------------------------

@singledispatch
def to_public(domain_event: Any) -> BaseModel | None:
    """The bookings.v1 message for an internal event, or None."""
    return None


@to_public.register
def _(e: Booking.Requested) -> BaseModel:
    return BookingRequested(booking_id=e.originator_id, event_id=e.event_id, user_id=e.user_id,
                            group_size=e.group_size, payment_method=e.payment_method, requested_at=e.timestamp,
                            sequence=getattr(e, "sequence", None))


@to_public.register
def _(e: Booking.SeatsHeld) -> BaseModel:
    return BookingAwaitingPayment(**_ref(e), payment_id=e.payment_id, amount=e.amount, currency=e.currency,
                                  expires_at=e.expires_at)


@to_public.register
def _(e: Booking.Confirmed) -> BaseModel:
    return BookingConfirmed(**_ref(e), group_size=e.group_size, payment_id=e.payment_id)


@to_public.register
def _(e: Booking.Waitlisted) -> BaseModel:
    return BookingWaitlisted(**_ref(e), position=e.position)


@to_public.register
def _(e: Booking.Promoted) -> BaseModel:
    return BookingPromoted(**_ref(e), group_size=e.group_size)


@to_public.register
def _(e: Booking.Cancelled) -> BaseModel:
    return BookingCancelled(**_ref(e), reason=e.reason, refund_payment_id=e.refund_payment_id,
                            refund_amount=e.refund_amount)


@to_public.register
def _(e: Booking.Rejected) -> BaseModel:
    return BookingRejected(**_ref(e), reason=e.reason)


@to_public.register
def _(e: Booking.Expired) -> BaseModel:
    return BookingExpired(**_ref(e), payment_id=e.payment_id)


@to_public.register
def _(e: Booking.LatePaymentAccepted) -> BaseModel:
    return BookingLatePaymentAccepted(**_ref(e), group_size=e.group_size, payment_id=e.payment_id)


@to_public.register
def _(e: Booking.LatePaymentRefused) -> BaseModel:
    # The late payer's re-reservation failed: the booking is (again) expired, its money on the way back.
    return BookingExpired(**_ref(e), payment_id=e.payment_id)


@to_public.register
def _(e: SeatLedger.UseNoted) -> BaseModel:
    # Its version orders it: the catalogue keeps the figures of the highest ledger version it has seen.
    return LeaseUseChanged(event_id=e.event_id, leased=e.leased, in_use=e.in_use, ledger_version=e.originator_version)


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


for _cls in (Booking.SeatsRequested, Booking.Promoted, Booking.LatePaymentAccepted):
    to_seat_command.register(_cls, _reserve)


@to_seat_command.register
def _(e: Booking.SeatsRequestRepeated) -> BaseModel:
    # The sweeper asks again, same attempt: the Event answers it again if it already did (the answer was lost).
    return _reserve(e).model_copy(update={"repeat": True})


@to_seat_command.register
def _(e: Booking.Cancelled) -> BaseModel | None:
    return _release(e, e.reason) if e.release_seats else None


@to_seat_command.register
def _(e: Booking.Expired) -> BaseModel:
    return _release(e, "hold_expired")


@to_seat_command.register
def _(e: Booking.UnwantedSeatsReleased) -> BaseModel:
    return _release(e, "booking_not_live")


@to_seat_command.register(SeatLedger.LeaseRequested)
@to_seat_command.register(SeatLedger.LeaseRequestRepeated)  # the same lease id again: answered, not granted twice
def _(e: SeatLedger.LeaseRequested | SeatLedger.LeaseRequestRepeated) -> BaseModel:
    return RequestSeatLease(event_id=e.event_id, lease_id=e.lease_id, seats=e.seats,
                            repeat=isinstance(e, SeatLedger.LeaseRequestRepeated))


@to_seat_command.register
def _(e: SeatLedger.SeatsReturned) -> BaseModel:
    return ReturnLeasedSeats(event_id=e.event_id, return_id=e.return_id, seats=e.seats, reason=e.reason)


def seat_command_address(payload: BaseModel, domain_event: Any) -> str:
    """Seat commands go to the event (its id is the Kafka key: one writer per event)."""
    if not isinstance(payload, ReserveSeats | ReleaseSeats | RequestSeatLease | ReturnLeasedSeats):
        raise TypeError(f"not a seat command: {type(payload).__name__}")
    return str(payload.event_id)


# --- payments.commands.v1 ------------------------------------------------------------------------------

@singledispatch
def to_payment_command(domain_event: Any) -> BaseModel | None:
    """The payments.commands.v1 command an internal event asks for, or None."""
    return None


@to_payment_command.register
def _(e: Booking.SeatsHeld) -> BaseModel:
    return RequestPayment(payment_id=e.payment_id, booking_id=e.originator_id, event_id=e.event_id,
                          user_id=e.user_id, amount=e.amount, currency=e.currency, payment_method=e.payment_method,
                          expires_at=e.expires_at, organizer_id=e.organizer_id)


@to_payment_command.register
def _(e: Booking.Cancelled) -> BaseModel | None:
    if e.void_payment_id is not None:  # cancelled while awaiting payment: nobody may pay it any more
        return VoidPayment(payment_id=e.void_payment_id, booking_id=e.originator_id, reason=e.reason)
    if e.refund_payment_id is None:
        return None
    # Events stored before the refund fee existed have no refund_amount: they refund in full.
    # The refund says why with the cancellation's own word (contracts.vocabulary.RefundReason), e.g. `user`.
    return RefundPayment(payment_id=e.refund_payment_id, booking_id=e.originator_id, reason=e.reason,
                         amount=e.refund_amount)


@to_payment_command.register
def _(e: Booking.RefundRequested) -> BaseModel:
    return RefundPayment(payment_id=e.payment_id, booking_id=e.originator_id, reason=e.reason)


@to_payment_command.register
def _(e: Booking.LatePaymentRefused) -> BaseModel:
    return RefundPayment(payment_id=e.payment_id, booking_id=e.originator_id, reason="hold_expired_seats_gone")


def payment_command_address(payload: BaseModel, domain_event: Any) -> str:
    """Payment commands go to the payment (its id is the Kafka key)."""
    if not isinstance(payload, RequestPayment | RefundPayment | VoidPayment):
        raise TypeError(f"not a payment command: {type(payload).__name__}")
    return str(payload.payment_id)


# Transitional name, for main.py until the shared service wiring (which names relays by `to_public`) replaces it.
to_event = to_public
